import type { ServerResponse } from 'node:http';
import { Http2ServerResponse } from 'node:http2';
import type { DisconnectSignal } from '../../ops/replay-gate.js';
import type { FlowControlOptions } from '../../stream/flow-controlled-sink.js';
import { Http2StreamSink } from './h2-stream-sink.js';

/**
 * A subscribe that node:http2's compatibility API handed over (the hub's own HTTP/2 server, or
 * an app's `http2.createServer(hub.handler)`): its native stream, served by `Http2StreamSink`
 * with the headers the route set on the response (CORS) and the stream itself as the sign that
 * the client left (the compat request's socket is the whole connection's). Undefined for any
 * other response.
 */
export function http2Subscribe(
  res: ServerResponse,
  opts: FlowControlOptions,
): { sink: Http2StreamSink; disconnect: DisconnectSignal } | undefined {
  if (!((res as unknown) instanceof Http2ServerResponse)) return undefined;
  const compat = res as unknown as Http2ServerResponse;
  const first: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(compat.getHeaders())) {
    if (value !== undefined) first[name] = typeof value === 'number' ? String(value) : value;
  }
  const stream = compat.stream;
  return { sink: new Http2StreamSink(stream, opts, first), disconnect: stream };
}
