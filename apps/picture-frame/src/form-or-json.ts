import type { IncomingMessage } from 'node:http';
import { FrameError } from './errors.js';
import { isRecord } from './providers/provider.js';

/**
 * Reads a small request body sent as a form (`application/x-www-form-urlencoded`) or a JSON
 * object, at most `maxBytes` (413 `body_too_large`, checked on the declared length and on what
 * arrives), and answers a getter for one named field: the same for either encoding. `example`
 * is the JSON shown to a client whose body is not an object (`{"keyword": "..."}`).
 */
export async function readFormOrJson(
  req: IncomingMessage,
  maxBytes: number,
  example: string,
): Promise<(name: string) => unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'application/json') {
    throw new FrameError('unsupported_media_type');
  }
  const tooLarge = `The body is limited to ${maxBytes} bytes.`;
  if (Number(req.headers['content-length'] ?? '0') > maxBytes)
    throw new FrameError('body_too_large', tooLarge);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new FrameError('body_too_large', tooLarge);
    chunks.push(chunk as Buffer);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new FrameError('invalid_body', 'The body is not valid UTF-8.');
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(text);
    return (name) => form.get(name) ?? undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new FrameError('invalid_body', 'The body is not valid JSON.');
  }
  if (!isRecord(body)) throw new FrameError('invalid_body', `Send ${example}.`);
  return (name) => body[name];
}
