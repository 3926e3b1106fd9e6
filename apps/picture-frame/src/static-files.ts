import { createReadStream, readdirSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface Mount {
  /** e.g. `/catalogue/`: files directly in `dir` are served under it. */
  readonly urlPrefix: string;
  readonly dir: string;
  /** Cache-Control for what this mount serves. */
  readonly cacheControl: string;
  /** Only these extensions are served from it. */
  readonly extensions: ReadonlySet<string>;
}

interface Found {
  readonly file: string;
  readonly type: string;
  readonly cacheControl: string;
}

/**
 * Static files without path resolution from user input: public/ is listed once at start into a
 * map of URL paths, and a mount (the catalogue, the user's folder) serves only plain file
 * names directly inside its folder, with an allowed extension.
 */
export class StaticFiles {
  readonly #public = new Map<string, Found>();
  readonly #mounts: Mount[];

  constructor(publicDir: string, mounts: readonly Mount[] = []) {
    this.#mounts = [...mounts];
    const walk = (dir: string) => {
      for (const d of readdirSync(dir, { withFileTypes: true })) {
        if (d.name.startsWith('.')) continue;
        const full = join(dir, d.name);
        if (d.isDirectory()) walk(full);
        else if (d.isFile()) {
          const type = CONTENT_TYPES[extname(d.name).toLowerCase()];
          if (type === undefined) continue;
          const url = `/${relative(publicDir, full).split(sep).join('/')}`;
          this.#public.set(url, { file: full, type, cacheControl: 'no-cache' });
        }
      }
    };
    walk(publicDir);
    const index = this.#public.get('/index.html');
    if (index) this.#public.set('/', index);
  }

  /** The file for a URL path (already without query), or undefined. */
  lookup(pathname: string): Found | undefined {
    const pub = this.#public.get(pathname);
    if (pub) return pub;
    for (const m of this.#mounts) {
      if (!pathname.startsWith(m.urlPrefix)) continue;
      let name: string;
      try {
        name = decodeURIComponent(pathname.slice(m.urlPrefix.length));
      } catch {
        return undefined;
      }
      if (name === '' || name.startsWith('.') || /[/\\\u0000-\u001f]/.test(name)) return undefined;
      const ext = extname(name).toLowerCase();
      const type = CONTENT_TYPES[ext];
      if (!m.extensions.has(ext) || type === undefined) return undefined;
      return { file: join(m.dir, name), type, cacheControl: m.cacheControl };
    }
    return undefined;
  }

  /** Serves GET/HEAD; answers false when there is no such file (the caller answers 404). */
  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const found = this.lookup(pathname);
    if (!found) return false;
    let st: { size: number; mtimeMs: number; isFile(): boolean };
    try {
      st = await stat(found.file);
    } catch {
      return false;
    }
    if (!st.isFile()) return false;
    const etag = `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
    res.setHeader('Content-Type', found.type);
    res.setHeader('Cache-Control', found.cacheControl);
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304).end();
      return true;
    }
    res.setHeader('Content-Length', String(st.size));
    if (req.method === 'HEAD') {
      res.writeHead(200).end();
      return true;
    }
    res.writeHead(200);
    const stream = createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return true;
  }
}

export function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
