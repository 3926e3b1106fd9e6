import { responseHead } from '../stream/response-head.js';
import { ACK_HEADERS } from './publish-handler.js';

/**
 * A publish's 200 on a raw socket, as the bytes node:http writes for `writeHead(200,
 * ACK_HEADERS)` then `end(id)` on a kept-alive HTTP/1.1 connection: the head, then the id as one
 * chunk and the last chunk. The common head (no CORS header, no notice) is built once per
 * second, when its Date changes, not once per publish.
 */
export class PublishAck {
  readonly #keepAlive: Record<string, string>;
  #second = -1;
  #head = '';

  /** `keepAliveTimeoutMs`: the server's, announced in `Keep-Alive` as node:http does; 0: none. */
  constructor(keepAliveTimeoutMs: number) {
    this.#keepAlive = { Connection: 'keep-alive' };
    if (keepAliveTimeoutMs > 0)
      this.#keepAlive['Keep-Alive'] = `timeout=${Math.floor(keepAliveTimeoutMs / 1000)}`;
    this.#keepAlive['Transfer-Encoding'] = 'chunked';
  }

  /** The answer for `id`; `extra`: CORS headers (first) and a Tidings-Token-Ignored notice (last). */
  bytes(
    id: string,
    cors: Readonly<Record<string, string>>,
    notice: Record<string, string> | undefined,
  ): Buffer {
    const size = Buffer.byteLength(id, 'utf8').toString(16);
    const head =
      notice === undefined && Object.keys(cors).length === 0
        ? this.#commonHead()
        : responseHead(200, { ...cors, ...ACK_HEADERS, ...notice }, this.#keepAlive).toString('latin1');
    return Buffer.from(`${head}${size}\r\n${id}\r\n0\r\n\r\n`, 'utf8');
  }

  #commonHead(): string {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#head = responseHead(200, ACK_HEADERS, this.#keepAlive).toString('latin1');
    }
    return this.#head;
  }
}
