import type { IncomingMessage, ServerResponse } from 'node:http';
import { idHeaderValue, writeHead } from '../../http/header-value.js';
import type { HubContext } from '../../hub-context.js';
import { admit } from '../../subscribe/admission.js';
import { startSubscription } from '../../subscribe/start-subscription.js';
import { subscribeParams } from '../../subscribe/subscribe-params.js';
import { currentCursor } from './poll-cursor.js';
import { noneMatch, requestedWait } from './poll-request.js';
import { PollSink } from './poll-sink.js';

/**
 * A poll or long poll (docs/transports.md): `GET /.well-known/mercure?…` (or `QUERY`) with
 * `Accept: application/json`, the query of an SSE subscribe, and:
 * - no cursor: no events, and the current cursor (poll-cursor.ts);
 * - a cursor (`last_event_id`, the `Last-Event-ID` header, `earliest` for all history): the
 *   events after it, through the subscription core (admission, authorization, private updates,
 *   caps, replay without gap or duplicate, the gap signal `Mercure-Last-Event-ID: earliest`),
 *   at most `maxPollEvents` (and `maxQueueBytes`) of them; with `wait=S` and none yet, the answer
 *   waits up to S seconds for the first one (a long poll).
 * The answer is `{"events": [{"id","type","data","retry"}…], "last_event_id": "<cursor>"}`: the
 * cursor to send next, also the `ETag`; `If-None-Match` with that tag gets 304 and no body.
 */
export async function handlePoll(
  ctx: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: [string, string][] | undefined,
): Promise<void> {
  const params = subscribeParams(url, body);
  const waitMs = requestedWait(params.pairs, ctx.limits.maxPollWaitMs);
  const admission = await admit(ctx, { message: req, url, params });
  const cursor = admission.lastEventId;
  if (cursor === undefined) {
    admission.release();
    const now = await currentCursor(ctx, admission.principal);
    return answer(req, res, { body: emptyBody(now), cursor: now, headers: admission.headers });
  }
  if (req.socket.destroyed) return admission.release();
  const sink = new PollSink(ctx.limits.maxPollEvents, ctx.limits.maxQueueBytes);
  const replay = await startSubscription(ctx, admission, sink, req.socket);
  if (replay !== undefined) await replay();
  if (!sink.closed) {
    if (waitMs === 0) sink.close('client');
    else {
      // The client leaving ends the wait (and the subscription) at once.
      const gone = () => sink.close('client');
      res.once('close', gone);
      const timer = setTimeout(gone, waitMs);
      sink.answerOnWrite();
      await sink.done;
      clearTimeout(timer);
      res.off('close', gone);
    }
  }
  if (res.destroyed || res.writableEnded) return;
  const continueFrom = sink.opening?.continueFrom;
  const next = sink.lastId() ?? continueFrom ?? cursor;
  const extra: Record<string, string> = { ...(sink.opening?.headers ?? admission.headers) };
  if (continueFrom !== undefined) {
    // The gap signal, as on an SSE stream (Mercure "Reconciliation").
    extra['Mercure-Last-Event-ID'] = idHeaderValue(continueFrom);
  }
  return answer(req, res, { body: sink.body(next), cursor: next, headers: extra });
}

function emptyBody(cursor: string): Buffer {
  return Buffer.from(`{"events":[],"last_event_id":${JSON.stringify(cursor)}}`);
}

interface Answer {
  readonly body: Buffer;
  readonly cursor: string;
  readonly headers: Readonly<Record<string, string>>;
}

function answer(req: IncomingMessage, res: ServerResponse, a: Answer): void {
  // An entity-tag is visible ASCII without `"` (RFC 9110 8.8.3): the id as headers carry it.
  const etag = `"${idHeaderValue(a.cursor)}"`;
  const vary = res.getHeader('Vary');
  const headers: Record<string, string | number> = {
    ...a.headers,
    // The same URL answers an event stream to other Accept headers; answers are per token.
    Vary: vary === undefined ? 'Accept' : `${String(vary)}, Accept`,
    'Cache-Control': 'private, no-cache',
    ETag: etag,
  };
  if (noneMatch(req.headers['if-none-match'], etag)) {
    // RFC 9110 15.4.5: the headers a 200 would have carried, no body.
    writeHead(res, 304, headers);
    res.end();
    return;
  }
  headers['Content-Type'] = 'application/json';
  headers['Content-Length'] = a.body.length;
  writeHead(res, 200, headers);
  res.end(a.body);
}
