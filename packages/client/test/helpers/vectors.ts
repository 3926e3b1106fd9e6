/**
 * Event stream vectors for the HTML standard's parsing rules ("Server-sent events" §9.2.5
 * "Parsing an event stream", §9.2.6 "Interpreting an event stream"). No expected results: the
 * browser's own EventSource is the oracle, and TidingsEventSource must agree with it.
 */
export const VECTORS: Record<string, string | number[]> = {
  'LF line endings': 'data: a\n\ndata: b\n\n',
  'CRLF line endings': 'data: a\r\n\r\ndata: b\r\n\r\n',
  'CR line endings': 'data: a\r\rdata: b\r\r',
  'mixed line endings': 'data: a\r\ndata: b\rdata: c\n\r\nevent: e1\rdata: d\r\n\n',
  'a leading BOM is dropped': '\uFEFFdata: bom\n\n',
  'only one BOM is dropped': '\uFEFF\uFEFFdata: x\n\ndata: y\n\n',
  'multi-line data': 'data: a\ndata:\ndata:  b\ndata\n\n',
  comments: ': hello\ndata: a\n:\n\n: end\n',
  'fields without a colon': 'data\n\ndata\ndata\n\nevent\ndata: x\n\n',
  'event types': 'event: e1\ndata: 1\n\nevent:e2\ndata: 2\n\nevent: \ndata: 3\n\nevent: e1\n\ndata: 4\n\n',
  'ids persist, reset and stand alone': 'id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\n',
  'an id with NUL is ignored': 'id: 5\ndata: a\n\nid: x\u0000y\ndata: b\n\n',
  'an id with spaces and unicode': 'id:  sp ace é\ndata: a\n\n',
  'retry fields': 'retry: 70\ndata: a\n\nretry: 5x\ndata: b\n\nretry\n\nretry: -1\n\n',
  'unknown fields and one leading space': 'data:no space\nfoo: bar\ndata:  two spaces\nDATA: x\n\n',
  'no blank line at the end: the last event is dropped': 'data: a\n\ndata: incomplete\n',
  'multi-byte UTF-8': 'data: Grüße 日本 🎉\n\nevent: ü\ndata: é\u00e9\n\n',
  // 0xFF and a truncated 3-byte sequence: replacement characters (Encoding "UTF-8 decode").
  'invalid UTF-8 becomes U+FFFD': [0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0x61, 0xe6, 0x97, 0x0a, 0x0a],
  'data then id in one block': 'data: a\nid: 7\n\n',
  'several blank lines': 'data:a\n\n\n\ndata:b\n\n',
  'an empty stream': '',
  'a colon in the value': 'data: a:b: c\nevent:x:y\n\n',
};

/** Event types the pages listen for (an EventSource cannot listen for every type). */
export const TYPES = ['message', 'e1', 'e2', 'ü', 'x:y', 'x', ''];

/** A vector's bytes as the server sends them. */
export function vectorBytes(v: string | number[]): Uint8Array {
  return typeof v === 'string' ? new TextEncoder().encode(v) : Uint8Array.from(v);
}
