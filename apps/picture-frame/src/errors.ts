/**
 * Every answer of the Picture Frame's own routes that is not a success has a stable code,
 * documented in apps/picture-frame/README.md. The hub's codes (packages/hub/src/errors.ts)
 * cover /.well-known/mercure; these cover the app's routes (/search, /transports/api/rate and
 * static files).
 */
export const FRAME_ERROR_CODES = {
  invalid_keyword: { status: 400, title: 'The search term is empty or not plain text' },
  keyword_too_long: { status: 400, title: 'The search term is longer than the limit' },
  invalid_body: { status: 400, title: 'The body is not a valid form or JSON object with a keyword' },
  invalid_rate: { status: 400, title: 'The ticker rate is not one of the rates offered' },
  cross_origin: { status: 403, title: 'Searches and rate changes are accepted from this site only' },
  not_found: { status: 404, title: 'No such resource' },
  no_results: { status: 404, title: 'No picture matches this search' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this resource' },
  body_too_large: { status: 413, title: 'The request body is larger than the limit' },
  unsupported_media_type: {
    status: 415,
    title: 'Send application/x-www-form-urlencoded or application/json',
  },
  search_rate_limited: { status: 429, title: 'Too many searches from this client' },
  provider_failed: { status: 502, title: 'The picture service failed; the frame keeps its picture' },
  not_ready: { status: 503, title: 'The frame is starting; retry' },
  internal: { status: 500, title: 'Internal error' },
  publish_failed: { status: 503, title: 'The hub could not broadcast the picture; nothing changed' },
} as const satisfies Record<string, { status: number; title: string }>;

export type FrameErrorCode = keyof typeof FRAME_ERROR_CODES;

export class FrameError extends Error {
  readonly code: FrameErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(code: FrameErrorCode, detail?: string, headers: Record<string, string> = {}) {
    super(detail ?? FRAME_ERROR_CODES[code].title);
    this.name = 'FrameError';
    this.code = code;
    this.status = FRAME_ERROR_CODES[code].status;
    this.headers = headers;
  }
}

/** The JSON body of an error answer (RFC 9457 problem details, plus our stable code). */
export interface Problem {
  type: string;
  code: FrameErrorCode;
  title: string;
  status: number;
  detail: string;
}

export function toProblem(err: FrameError): Problem {
  return {
    // The hub's scheme (packages/hub/src/http/problem.ts): one namespace of codes for the whole app.
    type: `urn:tidings:error:${err.code}`,
    code: err.code,
    title: FRAME_ERROR_CODES[err.code].title,
    status: err.status,
    detail: err.message,
  };
}
