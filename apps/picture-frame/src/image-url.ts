/**
 * Image URLs are never taken from the searcher: they come from a provider and must pass that
 * provider's allowlist, so a broadcast can only point pages at hosts we chose (and that the
 * page's Content-Security-Policy img-src names too).
 */
export interface ImageAllowlist {
  /** https hosts; `*.example.org` allows any subdomain of example.org (not example.org itself). */
  readonly hosts: readonly string[];
  /** A same-origin path prefix the provider serves itself, e.g. `/catalogue/`. */
  readonly pathPrefix?: string | undefined;
}

// Unreserved characters and percent-escapes only: nothing that could close an attribute or url().
const SAFE_PATH = /^\/(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+(?:\/(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+)*$/;

/** A same-origin path under `prefix`: every decoded segment a plain name (no `..`, no `/`). */
function isSafeLocalPath(url: string, prefix: string): boolean {
  if (!SAFE_PATH.test(url)) return false;
  const rest = url.slice(prefix.length);
  if (rest === '') return false;
  return rest.split('/').every((seg) => {
    let name: string;
    try {
      name = decodeURIComponent(seg);
    } catch {
      return false;
    }
    return name !== '.' && name !== '..' && !/[/\\\u0000-\u001f]/.test(name);
  });
}

/** Percent-encodes everything but unreserved characters (RFC 3986), for same-origin file URLs. */
export function encodePathSegment(name: string): string {
  return encodeURIComponent(name).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function hostAllowed(host: string, hosts: readonly string[]): boolean {
  const h = host.toLowerCase();
  return hosts.some((allowed) => {
    const a = allowed.toLowerCase();
    if (a.startsWith('*.')) return h.endsWith(a.slice(1)) && h.length > a.length - 1;
    return h === a;
  });
}

export function isAllowedImageUrl(url: string, allow: ImageAllowlist): boolean {
  if (typeof url !== 'string' || url.length > 2048) return false;
  if (allow.pathPrefix !== undefined && url.startsWith(allow.pathPrefix)) {
    return isSafeLocalPath(url, allow.pathPrefix);
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (
    u.protocol === 'https:' &&
    u.username === '' &&
    u.password === '' &&
    u.port === '' &&
    hostAllowed(u.hostname, allow.hosts)
  );
}

/** A link shown under the picture: absolute http(s) only, otherwise dropped. */
export function safeLink(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 2048) return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** The CSP img-src sources for an allowlist. */
export function cspImageSources(allow: ImageAllowlist): string[] {
  return allow.hosts.map((h) => `https://${h}`);
}
