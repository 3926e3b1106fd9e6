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
