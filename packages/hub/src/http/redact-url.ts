const SECRET_PARAMS = /([?&](?:authorization|access_token)=)[^&#]*/gi;

/** The request URL for logs, with tokens in the query (0.x `authorization`, RFC 6750 `access_token`) redacted. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[REDACTED]');
}
