import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal.js';
import { publishUnique } from '../engine/publish-unique.js';
import { HubError, isHubError } from '../errors.js';
import { writeHead } from '../http/header-value.js';
import { ignoredTokenHeaders } from '../http/ignored-token.js';
import { readBody } from '../http/read-body.js';
import type { HubContext } from '../hub-context.js';
import type { UpdateInit } from '../model/update.js';
import { clientKey } from '../ops/client-key.js';
import { authorizePublisher, formUpdate, publishLimiter } from './publish-handler.js';

/**
 * Batch publish, a Tidings extension to Mercure "Publication" (docs/mercure.md, "Batch publish"):
 * `POST /.well-known/mercure` with this media type; the body is several updates, one per line
 * (LF or CRLF), each line exactly the `application/x-www-form-urlencoded` body of a single publish (a
 * form body never holds a raw LF: it is percent-encoded as %0A). Empty lines are skipped.
 */
export const BATCH_MEDIA_TYPE = 'application/vnd.tidings.batch';

/** One update's outcome in the answer, in the order of the body. */
interface BatchResult {
  id: string;
  error?: { code: string; status: number; title: string };
}

/**
 * Validation and authorization are all or nothing: every line is checked first, with the same
 * rules, limits and error codes as a single publish (the detail names the line), and the first
 * refusal refuses the whole batch, nothing stored. Storing is per update: all are appended at
 * once (one group commit on LMDB), in body order, and each is acknowledged on its own, so a
 * store refusal (store_unavailable) refuses that update alone. A reused id is re-identified as
 * for a single publish (engine/publish-unique.ts): that update's answer carries the hub's id. The answer is 200
 * when every update was stored, 207 when some were not; the body lists each update's id, with
 * the error of those refused.
 */
export async function handleBatchPublish(
  ctx: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const principal: Principal | undefined = ctx.publisherAuth
    ? await authorizePublisher(ctx, req, url)
    : undefined;
  const notice = ctx.publisherAuth ? {} : ignoredTokenHeaders(ctx, req, url, 'publisher');
  if (!ctx.engine.isReady()) throw new HubError('store_unavailable', undefined, { 'Retry-After': '1' });
  const body = await readBody(req, ctx.limits.maxBodyBytes);

  const max = ctx.limits.maxBatchUpdates;
  const updates: UpdateInit[] = [];
  let start = 0;
  let line = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a /* LF */, start);
    if (end === -1) end = body.length;
    line++;
    // CRLF line ends are accepted too: a raw CR is never part of a form body (it is %0D).
    const stop = end > start && body[end - 1] === 0x0d ? end - 1 : end;
    if (stop > start) {
      if (updates.length === max) throw new HubError('too_many_updates', `at most ${max} updates per batch`);
      try {
        updates.push(formUpdate(ctx, body.subarray(start, stop), principal));
      } catch (err) {
        if (!isHubError(err)) throw err;
        throw new HubError(err.code, `line ${line}: ${err.message}`, err.headers);
      }
    }
    start = end + 1;
  }
  if (updates.length === 0) throw new HubError('empty_batch');

  // Each update counts against the publish rate as a single publish would (same policy).
  const key = clientKey(req, ctx.trustProxy);
  const limiter = publishLimiter(ctx, principal);
  for (let i = 0; i < updates.length; i++) {
    const wait = limiter.take(key);
    if (wait > 0) throw new HubError('publish_rate_limited', undefined, { 'Retry-After': String(wait) });
  }

  const outcomes = await Promise.allSettled(updates.map((u) => publishUnique(ctx.engine, u)));
  const results: BatchResult[] = [];
  let stored = 0;
  for (let i = 0; i < updates.length; i++) {
    const outcome = outcomes[i]!;
    const id = updates[i]!.id;
    if (outcome.status === 'fulfilled') {
      stored++;
      results.push({ id: outcome.value.id });
      ctx.published?.(outcome.value);
      continue;
    }
    const err = isHubError(outcome.reason)
      ? outcome.reason
      : new HubError('store_unavailable', 'the update could not be stored');
    if (!isHubError(outcome.reason))
      ctx.logger.error({ err: outcome.reason }, 'batch publish: append failed');
    results.push({ id, error: { code: err.code, status: err.status, title: err.message } });
  }
  ctx.metrics.publishes += stored;
  writeHead(res, stored === updates.length ? 200 : 207, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    ...notice,
  });
  res.end(JSON.stringify({ updates: results }));
}
