import assert from 'node:assert/strict';
import { ERROR_CODES, type ErrorCode } from '@tidings/hub';

/** An answer as the bad-input tests see it, from fetch or from a raw socket. */
export interface Answer {
  readonly status: number | undefined;
  readonly headers: Headers | Record<string, string>;
  readonly body: string;
}

export interface ProblemExpectation {
  /** RFC 6750: `none` means a bare `Bearer realm=...` challenge (no token was presented). */
  readonly challenge?: 'none' | 'invalid_token' | 'insufficient_scope' | 'invalid_request';
  /** Retry-After must be present, a positive integer of seconds. */
  readonly retryAfter?: boolean;
  /** Other statuses allowed where bad-inputs.md offers two answers. */
  readonly status?: number;
}

export function header(a: Answer, name: string): string | undefined {
  if (a.headers instanceof Headers) return a.headers.get(name) ?? undefined;
  return a.headers[name.toLowerCase()];
}

/**
 * Asserts an RFC 9457 problem with the stable code: its status is the code's status, the body is
 * `application/problem+json` naming the code, the detail is one line (never a stack trace).
 */
export function assertProblem(a: Answer, code: ErrorCode, expect: ProblemExpectation = {}): void {
  const status = expect.status ?? ERROR_CODES[code].status;
  assert.equal(a.status, status, `status for ${code}: ${a.body.slice(0, 300)}`);
  assert.match(header(a, 'content-type') ?? '', /^application\/problem\+json/);
  const problem = JSON.parse(a.body) as { code: string; status: number; detail: string; title: string };
  assert.equal(problem.code, code, `code: ${a.body.slice(0, 300)}`);
  assert.equal(problem.status, status);
  assert.ok(!/\n|\bat .+:\d+:\d+/.test(problem.detail), `detail is one line, no stack: ${problem.detail}`);
  const www = header(a, 'www-authenticate');
  if (expect.challenge === undefined) {
    assert.equal(www, undefined, 'no WWW-Authenticate outside 401/403 RFC 6750 answers');
  } else {
    assert.match(www ?? '', /^Bearer realm="[^"]*"/, `WWW-Authenticate: ${www}`);
    if (expect.challenge === 'none') assert.doesNotMatch(www ?? '', /error=/);
    else assert.match(www ?? '', new RegExp(`error="${expect.challenge}"`));
  }
  const retry = header(a, 'retry-after');
  if (expect.retryAfter === true) assert.match(retry ?? '', /^[1-9][0-9]*$/, `Retry-After: ${retry}`);
}

export async function answerOf(res: Response): Promise<Answer> {
  return { status: res.status, headers: res.headers, body: await res.text() };
}
