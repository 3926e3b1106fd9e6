import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http/read-body.js';
import type { HubContext } from '../hub-context.js';
import { SseResponseSink } from '../stream/sse-response-sink.js';
import { admit } from '../subscribe/admission.js';
import { startSubscription } from '../subscribe/start-subscription.js';
import { readQueryBody, subscribeParams } from '../subscribe/subscribe-params.js';
import { http2Subscribe } from '../transports/http2/compat-stream.js';
import { handlePoll } from '../transports/poll/poll-handler.js';
import { wantsJson } from '../transports/poll/poll-request.js';

/**
 * GET (or QUERY, parameters in a form body) /.well-known/mercure through node:http (and
 * node:https, node:http2's compatibility API, an app's middleware, `hub.fetch()`): an SSE stream
 * of the updates matching the selectors. The subscription core (subscribe/) does the work; this
 * transport reads the request and supplies the sink (`SseResponseSink`). An error is thrown
 * before anything is written, for the route to answer (Hub's error answer).
 */
export async function handleSubscribe(
  ctx: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  // Mercure "Subscription": a safe method whose form body carries the parameters (RFC 10008).
  const body =
    req.method === 'QUERY' ? await readQueryBody(req, ctx.limits.maxBodyBytes, readBody) : undefined;
  // `Accept: application/json`: a poll or long poll, not a stream (transports/poll/).
  if (wantsJson(req.headers.accept)) return handlePoll(ctx, req, res, url, body);
  const admission = await admit(ctx, { message: req, url, params: subscribeParams(url, body) });
  // The client went away meanwhile. (Not `req.destroyed` for a QUERY: its request stream is
  // destroyed once its body has been read, its connection is not.)
  if (body === undefined ? req.destroyed : req.socket.destroyed) return admission.release();
  // HTTP/2: the native stream is the sink (transports/http2/), not the compatibility response.
  const h2 = http2Subscribe(res, ctx.sinkOptions);
  const sink = h2?.sink ?? new SseResponseSink(res, ctx.sinkOptions);
  const replay = await startSubscription(ctx, admission, sink, h2?.disconnect ?? req.socket);
  if (replay !== undefined) await replay();
}
