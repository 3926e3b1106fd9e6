import { STATUS_CODES } from 'node:http';
import { headerValue, isFieldName } from '../http/header-value.js';

/**
 * A status line and headers as node:http writes them for `writeHead(status, headers)`: the
 * given headers in order, then `Date`, then `after` (what node:http adds last: the transfer
 * coding of a stream, or the connection's keep-alive). Every value goes through `headerValue`,
 * as node:http's do through `writeHead` (http/header-value.ts), so no value can split the head.
 * Every byte is visible ASCII then: Latin-1 and ASCII are the same bytes.
 */
export function responseHead(
  status: number,
  headers: Readonly<Record<string, string | number>>,
  after: Readonly<Record<string, string>> = {},
): Buffer {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (const name in headers) head += field(name, String(headers[name]));
  head += `Date: ${new Date().toUTCString()}\r\n`;
  for (const name in after) head += field(name, after[name]!);
  return Buffer.from(`${head}\r\n`, 'latin1');
}

function field(name: string, value: string): string {
  if (!isFieldName(name)) throw new Error(`not a header name: ${JSON.stringify(name)}`);
  return `${name}: ${headerValue(value)}\r\n`;
}
