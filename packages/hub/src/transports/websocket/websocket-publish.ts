import type { IncomingMessage } from 'node:http';
import { publishUnique } from '../../engine/publish-unique.js';
import { HubError } from '../../errors.js';
import { settleError } from '../../http/error-answer.js';
import { problemBody } from '../../http/problem.js';
import type { HubContext } from '../../hub-context.js';
import { clientKey } from '../../ops/client-key.js';
import { authorizePublisher, formUpdate, publishLimiter } from '../../publish/publish-handler.js';
import { POLICY_VIOLATION } from './websocket-options.js';
import type { MessageHandler } from './websocket-sink.js';

/** What a publish over the socket keeps of its handshake: headers, target and peer address only. */
interface Presented {
  readonly method: 'POST';
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly socket: { readonly remoteAddress: string | undefined };
}

/**
 * A client message when publishing over WebSocket is off: the hub accepts none, and says so with
 * 1008 "policy violation" (RFC 6455 7.4.1) rather than ignoring it.
 */
export const refuseMessages: MessageHandler = (ws) => {
  ws.close(POLICY_VIOLATION, 'publishing over this WebSocket is off');
};

/**
 * Publishing over the socket (HubOptions.websocket.publish): each text message is a publish body,
 * `application/x-www-form-urlencoded` exactly as a `POST` (Mercure "Publication"), validated,
 * rate-limited and authorized the same way (`formUpdate`, `authorizePublisher` with the token
 * and cookie the handshake presented, checked again for each message so an expired token stops
 * publishing). Each message is answered, in order, by one message: `{"published": "<event id>"}`
 * once stored, or `{"problem": {...}}` with the RFC 9457 document a `POST` would get.
 *
 * One publish at a time per socket: the socket is not read while a publish is under way, so a
 * client that floods is held back by TCP, not buffered by the hub. A binary message is refused
 * with 1003 "unsupported data".
 */
export function publishOverSocket(ctx: HubContext, req: IncomingMessage, url: URL): MessageHandler {
  const presented: Presented = {
    method: 'POST',
    url: req.url ?? '',
    headers: req.headers,
    socket: { remoteAddress: req.socket.remoteAddress },
  };
  const message = presented as unknown as IncomingMessage;
  // Messages already read come even while paused: they wait their turn here, answered in order.
  let turn: Promise<void> = Promise.resolve();
  let pending = 0;
  return (ws, data, isBinary) => {
    if (isBinary) {
      ws.close(1003, 'messages are text: publish bodies');
      return;
    }
    pending++;
    ws.pause();
    turn = turn
      .then(() => publish(ctx, message, url, data))
      .then((reply) => {
        pending--;
        if (ws.readyState !== ws.OPEN) return;
        ws.send(reply);
        if (pending === 0) ws.resume();
      });
  };
}

async function publish(ctx: HubContext, req: IncomingMessage, url: URL, body: Buffer): Promise<string> {
  try {
    if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
    const principal = ctx.publisherAuth ? await authorizePublisher(ctx, req, url) : undefined;
    const wait = publishLimiter(ctx, principal).take(clientKey(req, ctx.trustProxy));
    if (wait > 0) throw new HubError('publish_rate_limited', undefined, { 'Retry-After': String(wait) });
    if (!ctx.engine.isReady()) throw new HubError('store_unavailable', undefined, { 'Retry-After': '1' });
    if (body.length > ctx.limits.maxBodyBytes) {
      throw new HubError('body_too_large', `the body is larger than ${ctx.limits.maxBodyBytes} bytes`);
    }
    const update = await publishUnique(ctx.engine, formUpdate(ctx, body, principal));
    ctx.metrics.publishes++;
    ctx.published?.(update);
    return JSON.stringify({ published: update.id });
  } catch (err) {
    const e = settleError(ctx, err, 'POST', req.url ?? '');
    return `{"problem":${problemBody(e)}}`;
  }
}
