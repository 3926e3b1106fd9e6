import type { Logger } from 'pino';
import { withResourceMetadata } from '../auth/bearer-challenge.js';
import { type ErrorCode, HubError, isHubError } from '../errors.js';
import { redactUrl } from './redact-url.js';

/**
 * What every error answer does besides writing it, on node:http or a raw socket: a Bearer
 * challenge names the resource metadata (Mercure "Error Responses"), the error is counted
 * (`tidings_http_errors_total`), and logged: internal errors with their cause, at error level,
 * others at debug level. Resolves the HubError to write (`internal` for anything else).
 */
/** What settleError needs of the hub (a HubContext has it). */
export interface ErrorAnswerContext {
  readonly metadataUrl: string;
  /** Counts the error (`tidings_http_errors_total`): ops/metrics.ts. */
  readonly metrics: { error(code: ErrorCode): void };
  readonly logger: Logger;
}

export function settleError(
  ctx: ErrorAnswerContext,
  err: unknown,
  method: string | undefined,
  target: string,
): HubError {
  const withMetadata = withResourceMetadata(err, ctx.metadataUrl);
  const e = isHubError(withMetadata) ? withMetadata : new HubError('internal');
  ctx.metrics.error(e.code);
  const log = { method, url: redactUrl(target), code: e.code, status: e.status };
  if (!isHubError(err)) ctx.logger.error({ ...log, err }, 'internal error');
  else ctx.logger.debug(log, e.message);
  return e;
}
