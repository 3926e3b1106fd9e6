const SECRET_PARAMS = new Set(['authorization', 'access_token']);

/**
 * The request URL for logs, with tokens in the query (0.x `authorization`, RFC 6750 `access_token`)
 * redacted. Names are compared once percent-decoded, as the token lookup reads them, so
 * `%61uthorization=` is redacted too.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const hash = url.indexOf('#', start);
  const end = hash < 0 ? url.length : hash;
  const query = url
    .slice(start + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const rawName = pair.slice(0, eq);
      return SECRET_PARAMS.has(decodeName(rawName).toLowerCase()) ? `${rawName}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, start + 1)}${query}${url.slice(end)}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * A connection URL for logs and errors, its password replaced by `***`
 * (`redis://user:secret@host` -> `redis://user:***@host`). The authority ends at the first `/`,
 * `?` or `#` and the userinfo at its last `@` (WHATWG URL, authority state), so a password holding
 * `@` is redacted whole. Strings that are not `scheme://` URLs come back unchanged.
 */
export function redactPassword(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (scheme === null) return url;
  const start = scheme[0].length;
  const rest = url.slice(start);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const colon = authority.indexOf(':');
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, start + colon + 1)}***${url.slice(start + at)}`;
}
