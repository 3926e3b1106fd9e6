/**
 * The `exp` claim (seconds) of the bearer token in an Authorization header, if it has one. Read
 * only to refresh in time: the token is not verified here (the hub does that).
 */
export function bearerExpiry(authorization: string | undefined): number | undefined {
  const m = /^Bearer\s+[\w-]+\.([\w-]+)\.[\w-]*$/i.exec(authorization ?? '');
  if (m === null) return undefined;
  try {
    const b64 = m[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const exp: unknown = JSON.parse(atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '=')))?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When to renew a connection made with a token expiring at `exp` (seconds): `margin` ms before,
 * but never more than a quarter of the time left, so a short-lived token is not renewed at once.
 */
export function refreshDelay(exp: number, now: number, margin: number): number | undefined {
  const left = exp * 1000 - now;
  if (left <= 0) return undefined;
  return left - Math.min(margin, left / 4);
}
