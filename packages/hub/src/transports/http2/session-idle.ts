import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';

/**
 * Closes an HTTP/2 connection that has had no open stream for `idleMs` (limits.h2IdleTimeoutMs)
 * with GOAWAY NO_ERROR (RFC 9113 6.8: a graceful close; a client that still wants it connects
 * again). Connections are the scarce resource: one that only sent the preface, or whose last
 * stream ended long ago, would otherwise hold a descriptor for ever, as an HTTP/1.1 connection
 * that sends nothing would without the header timeout. An open stream (an SSE subscription)
 * keeps its connection as long as it lives. 0 disables.
 */
export function closeWhenIdle(session: ServerHttp2Session, idleMs: number): void {
  if (idleMs <= 0) return;
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(closeIdle, idleMs, session);
    timer.unref();
  };
  const onStreamClose = () => {
    if (--open === 0) arm();
  };
  session.on('stream', (stream: ServerHttp2Stream) => {
    if (open++ === 0) clearTimeout(timer);
    stream.once('close', onStreamClose);
  });
  session.once('close', () => clearTimeout(timer));
  arm();
}

function closeIdle(session: ServerHttp2Session): void {
  if (!session.closed && !session.destroyed) session.close();
}
