import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { settleError } from '../http/error-answer.js';
import type { HubContext } from '../hub-context.js';
import { refusalBytes } from '../stream/raw-refusal.js';
import { SseSocketSink } from '../stream/sse-socket-sink.js';
import { admit } from '../subscribe/admission.js';
import { startSubscription } from '../subscribe/start-subscription.js';
import { subscribeParams } from '../subscribe/subscribe-params.js';
import type { SubscribeHead } from './subscribe-head.js';

/**
 * The subscribe on a raw socket whose head `routes/stream-intake.ts` read (no node:http objects
 * kept for the stream's life): the subscription core with an `SseSocketSink`. A refusal is
 * answered here too, with the bytes node:http would write (stream/raw-refusal.ts): the request is
 * parsed, authenticated and counted once.
 *
 * Resolves true once the socket is the stream's, or the client has gone, or the answer closes
 * the connection; false once a refusal has been answered on a connection that stays open: the
 * intake then reads its next request as it read this one. `takeSocket` hands the socket over
 * (the intake's listeners go) and says whether the stream may go ahead.
 */
export async function subscribeRaw(
  ctx: HubContext,
  head: SubscribeHead,
  socket: Socket,
  takeSocket: () => boolean,
  keepAliveTimeoutMs: number,
): Promise<boolean> {
  // What the core reads of a request (headers, peer address), without an IncomingMessage.
  const message = {
    method: 'GET',
    url: head.target,
    headers: head.headers,
    socket,
  } as unknown as IncomingMessage;
  // The route's CORS headers, as node:http's route sets them before the handler runs.
  const cors = ctx.cors.headers(head.headers.origin);
  let sink: SseSocketSink | undefined;
  try {
    const admission = await admit(ctx, { message, url: head.url, params: subscribeParams(head.url) });
    if (socket.destroyed) {
      admission.release();
      return true;
    }
    sink = new SseSocketSink(socket, ctx.sinkOptions, head.http10, cors);
    const opened = sink;
    const replay = await startSubscription(ctx, admission, sink, socket, takeSocket);
    replay?.().catch(() => opened.close('error'));
    return true;
  } catch (err) {
    sink?.abandon();
    if (socket.destroyed) return true;
    const e = settleError(ctx, err, 'GET', head.target);
    const connection = head.headers.connection?.toLowerCase();
    const { bytes, keepAlive } = refusalBytes(e, {
      cors,
      persistent: head.http10 ? connection === 'keep-alive' : connection !== 'close',
      keepAliveTimeoutMs,
    });
    if (keepAlive) {
      socket.write(bytes);
      return false;
    }
    // As node:http does after a `Connection: close` answer: the socket goes once it is written.
    socket.on('error', ignore);
    socket.end(bytes, () => socket.destroy());
    return true;
  }
}

function ignore(): void {}
