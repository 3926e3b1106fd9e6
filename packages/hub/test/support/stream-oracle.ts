import assert from 'node:assert/strict';
import { ERROR_CODES, type ErrorCode } from '@tidings/hub';
import type { HubFixture } from './hub-fixture.js';
import type { SseReader } from './sse-reader.js';

/** An update the hub answered 200 for, as every subscriber allowed to see it must receive it. */
export interface Accepted {
  readonly id: string;
  /** As published; subscribers receive it with CRLF and lone CR normalised to LF. */
  readonly data: string;
  readonly type?: string | undefined;
  readonly private: boolean;
  readonly topics: readonly string[];
}

export interface Watched {
  readonly name: string;
  readonly reader: SseReader;
  /** Which accepted updates this subscriber must receive (all others: never). */
  readonly sees: (a: Accepted) => boolean;
}

/**
 * The fuzz tests' oracle: every update answered 200 is recorded; at the end a public fence is
 * published, and each watched stream, parsed by eventsource-parser, must hold exactly the
 * accepted updates it may see, in order, with exact id, type and data: nothing lost, nothing
 * extra (no leak, no update from a rejected request), nothing corrupted.
 */
export class StreamOracle {
  readonly accepted: Accepted[] = [];
  #fences = 0;

  record(a: Accepted): void {
    this.accepted.push(a);
  }

  /**
   * `deadlineMs`: how long each stream may take to deliver the fence. Past it the check fails
   * with what each stream got, instead of waiting on.
   */
  async check(
    fx: HubFixture,
    publishHeaders: Record<string, string>,
    watched: readonly Watched[],
    deadlineMs = 20_000,
  ): Promise<void> {
    const data = `fence-${++this.#fences}`;
    const topics = ['https://example.com/fuzz', 'https://example.com/fence'];
    const res = await fx.publish({ topic: topics, data }, publishHeaders);
    assert.equal(res.status, 200, res.body);
    this.record({ id: res.body, data, private: false, topics });
    for (const w of watched) {
      const expected = this.accepted.filter(w.sees);
      // The fence is the last update published and every stream sees it: once it arrived, so
      // has everything dispatched before it (one connection, in order), extras included.
      const fenced = await w.reader.waitForId(res.body, deadlineMs).then(
        () => true,
        () => false,
      );
      const got = w.reader.events.map((e) => ({ id: e.id, event: e.event, data: e.data }));
      const want = expected.map((a) => ({ id: a.id, event: a.type, data: a.data.replace(/\r\n|\r/g, '\n') }));
      if (!fenced || got.length !== want.length) {
        const extra = got.filter((g) => !want.some((x) => x.id === g.id));
        const missing = want.filter((x) => !got.some((g) => g.id === x.id));
        assert.fail(
          `${w.name}: ${got.length} events, ${want.length} expected${fenced ? '' : `, the fence not delivered within ${deadlineMs} ms`}; extra ${JSON.stringify(extra).slice(0, 400)}; missing ${JSON.stringify(missing).slice(0, 400)}`,
        );
      }
      assert.deepEqual(got, want, `${w.name}: the stream is exactly the accepted updates`);
    }
  }
}

/** Never a 5xx; an error is an RFC 9457 problem whose code has exactly this status. */
export function assertWellFormedError(
  status: number,
  contentType: string | null | undefined,
  body: string,
): ErrorCode {
  assert.ok(status < 500, `never a 5xx: ${status} ${body.slice(0, 200)}`);
  assert.match(
    contentType ?? '',
    /^application\/problem\+json/,
    `problem body for ${status}: ${body.slice(0, 200)}`,
  );
  const problem = JSON.parse(body) as { code: ErrorCode; status: number };
  assert.ok(Object.hasOwn(ERROR_CODES, problem.code), `known code ${problem.code}`);
  assert.equal(ERROR_CODES[problem.code].status, status, `${problem.code} answered with its own status`);
  assert.equal(problem.status, status);
  return problem.code;
}

/** `application/x-www-form-urlencoded` bytes -> valid UTF-8 after percent-decoding? (WHATWG URL "urlencoded parsing") */
export function formIsUtf8(body: Buffer): boolean {
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (const seq of body.toString('latin1').split('&')) {
    for (const part of seq.split('=')) {
      const bytes: number[] = [];
      for (let i = 0; i < part.length; i++) {
        const c = part.charCodeAt(i);
        const hex = part.slice(i + 1, i + 3);
        if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          i += 2;
        } else bytes.push(c === 0x2b ? 0x20 : c);
      }
      try {
        strict.decode(Uint8Array.from(bytes));
      } catch {
        return false;
      }
    }
  }
  return true;
}
