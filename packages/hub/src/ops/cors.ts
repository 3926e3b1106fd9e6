import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/** A request without Origin gets no CORS header (one shared object, not one per request). */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Refused origins remembered for the once-per-origin log; past this, refusals are no longer logged. */
const MAX_LOGGED_ORIGINS = 1024;

/**
 * CORS with an origin allowlist (Fetch standard, "CORS protocol"). An allowed origin is echoed
 * with credentials; `*` in the list allows any origin WITHOUT credentials (never `*` together
 * with Access-Control-Allow-Credentials, and never an arbitrary origin echoed with it).
 */
export class CorsPolicy {
  readonly #origins: Set<string>;
  readonly #any: boolean;
  readonly #logger: Logger | undefined;
  /** Origins whose refusal was logged (bounded: a flood of made-up origins cannot grow it). */
  readonly #logged = new Set<string>();

  /** `logger`: refusals are logged there once per origin, so a misconfigured allowlist shows. */
  constructor(origins: readonly string[], logger?: Logger) {
    this.#logger = logger;
    this.#any = origins.includes('*');
    this.#origins = new Set(origins.filter((o) => o !== '*').map((o) => o.replace(/\/$/, '')));
  }

  allows(origin: string): boolean {
    return this.#origins.has(origin);
  }

  /** Adds the CORS response headers for this request's Origin, if any is allowed. */
  apply(req: IncomingMessage, res: ServerResponse): void {
    const headers = this.headers(req.headers.origin);
    for (const name in headers) res.setHeader(name, headers[name]!);
  }

  /** The CORS response headers for a request with this Origin, in the order they are written. */
  headers(origin: string | undefined): Readonly<Record<string, string>> {
    if (origin === undefined) return NO_HEADERS;
    const out: Record<string, string> = { Vary: 'Origin' };
    if (this.#origins.has(origin)) {
      out['Access-Control-Allow-Origin'] = origin;
      out['Access-Control-Allow-Credentials'] = 'true';
    } else if (this.#any) {
      out['Access-Control-Allow-Origin'] = '*';
    } else {
      this.#refused(origin);
      return out;
    }
    // Link carries the Subscription API's cursor (Mercure "Subscription API"), ETag a poll's.
    out['Access-Control-Expose-Headers'] = 'Mercure-Last-Event-ID, Last-Event-ID, Link, ETag';
    return out;
  }

  #refused(origin: string): void {
    if (this.#logger === undefined || this.#logged.has(origin)) return;
    if (this.#logged.size >= MAX_LOGGED_ORIGINS) return;
    this.#logged.add(origin);
    // The origin is the client's text: pino escapes it as a JSON string, and it is cut short.
    this.#logger.info(
      { origin: origin.slice(0, 256) },
      'CORS: origin not allowed (logged once per origin; see --cors-origins)',
    );
  }

  /**
   * Answers a preflight: EventSource with Last-Event-ID, fetch with Authorization, a poll with
   * If-None-Match. `methods`: the resource's (the push registrations also take DELETE).
   */
  preflight(req: IncomingMessage, res: ServerResponse, methods = 'GET, QUERY, POST, OPTIONS'): void {
    this.apply(req, res);
    if (res.hasHeader('Access-Control-Allow-Origin')) {
      res.setHeader('Access-Control-Allow-Methods', methods);
      res.setHeader(
        'Access-Control-Allow-Headers',
        'Authorization, Last-Event-ID, Content-Type, Cache-Control, Accept, If-None-Match',
      );
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.writeHead(204);
    res.end();
  }
}
