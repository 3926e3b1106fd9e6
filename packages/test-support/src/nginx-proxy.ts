import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectTo } from './connect-to.js';

export const NGINX = '/usr/sbin/nginx';

/** A Debian nginx reverse proxy in front of a hub, with nginx's default proxy settings. */
export interface NginxProxy {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts nginx on a free loopback port with a temp prefix and config: one process, nothing from
 * /etc/nginx, and `proxy_pass` with no other proxy directive, so the defaults deployments get
 * apply (`proxy_http_version 1.0`, buffering on unless the response says `X-Accel-Buffering: no`).
 */
export interface NginxProxyOptions {
  /**
   * Buffer responses whatever they say (`proxy_ignore_headers X-Accel-Buffering`): a proxy that
   * holds an event stream until its buffers fill, as some deployments do.
   */
  readonly forceBuffering?: boolean;
  /**
   * HTTP/2 at the edge (docs/deploy.md): nginx listens with TLS and h2, and speaks to the hub
   * either HTTP/1.1 (`proxy_pass`, keep-alive, no buffering) or h2c (`grpc_pass`).
   */
  readonly h2Front?: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly upstream: 'http/1.1' | 'h2c';
  };
}

export async function startNginxProxy(
  upstreamPort: number,
  options: NginxProxyOptions = {},
): Promise<NginxProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-nginx-'));
  const port = await freePort();
  const conf = `
daemon off;
master_process off;
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${options.h2Front === undefined ? plainServer(port, upstreamPort, options) : h2Server(port, upstreamPort, options.h2Front)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new Error('nginx exited at start');
    try {
      (await connectTo(port)).destroy();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('nginx did not listen within 10 s');
      await sleep(20);
    }
  }
  return {
    port,
    async close() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function plainServer(port: number, upstreamPort: number, options: NginxProxyOptions): string {
  return `server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};${options.forceBuffering === true ? '\n      proxy_buffering on;\n      proxy_ignore_headers X-Accel-Buffering;' : ''}
    }
  }`;
}

/** The server blocks of docs/deploy.md (nginx 1.22's `listen ... http2`; 1.25.1 and later say `http2 on;`). */
function h2Server(
  port: number,
  upstreamPort: number,
  front: NonNullable<NginxProxyOptions['h2Front']>,
): string {
  const upstream =
    front.upstream === 'h2c'
      ? `grpc_pass grpc://127.0.0.1:${upstreamPort};
      grpc_read_timeout 1h;`
      : `proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 1h;`;
  return `server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${front.certFile};
    ssl_certificate_key ${front.keyFile};
    location / {
      ${upstream}
    }
  }`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
