import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_AUTH_LIMITS } from '../src/auth/auth-options.js';
import { FLAGS, parseFlags } from '../src/cli/flags.js';
import { serve } from '../src/cli/serve.js';
import { HubError } from '../src/errors.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { compileSelector } from '../src/selector/compile-selector.js';
import { compileLinearRegExp, quoteRe2 } from '../src/selector/linear-regexp.js';
import { DEFAULT_SELECTOR_LIMITS, type MatchType, type SelectorLimits } from '../src/selector/selector.js';
import { regexpVariableParts } from '../src/selector/selector-cost.js';
import { compileUriTemplate } from '../src/selector/uri-template-matcher.js';
import { compileUrlPattern } from '../src/selector/url-pattern-matcher.js';
import { type Answer, answerOf, assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import {
  AUDIENCE,
  ISSUER,
  nowSeconds,
  SIGNED_HUB,
  SUBSCRIBER_SECRET,
  signClaims,
} from './support/sign-token.js';

const HUB = 'https://hub.example/.well-known/mercure';
const LIMITS: SelectorLimits = { ...DEFAULT_SELECTOR_LIMITS, maxSelectorLength: 4096, hubUrl: HUB };
const MAX_SELECTOR_PROGRAM_SIZE = DEFAULT_SELECTOR_LIMITS.maxSelectorProgramSize;
const MAX_SELECTOR_VARIABLE_PARTS = DEFAULT_SELECTOR_LIMITS.maxSelectorVariableParts;
// Generous: every case below runs in milliseconds; a backtracking engine would never finish.
const SAFETY = { timeout: 30_000 };

/** Adversarial topics of about 2000 characters: long runs a wildcard can split many ways. */
const ADVERSARIAL = [
  `https://example.com/${'a'.repeat(2000)}!`,
  `https://example.com/${'a/'.repeat(1000)}!`,
  `https://example.com/${'a-'.repeat(1000)}`,
  `https://example.com/${'%20'.repeat(660)}!`,
];

function rejectsAsTooCostly(type: MatchType, raw: string): string {
  let message = '';
  assert.throws(
    () => compileSelector(type, raw, LIMITS),
    (err: unknown) => {
      assert.ok(err instanceof HubError, `expected a HubError, got ${String(err)}`);
      assert.equal(err.code, 'invalid_selector');
      assert.match(err.message, /too costly/);
      message = err.message;
      return true;
    },
  );
  return message;
}

function names(n: number, unit: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => unit(i)).join('');
}

describe('pathological selectors are refused at compile time', () => {
  it('many consecutive wildcards', SAFETY, () => {
    const msg = rejectsAsTooCostly('urlpattern', `https://example.com/${'*'.repeat(2000)}`);
    assert.match(
      msg,
      /1000 groups, wildcards or variables, at most 32/,
      'pairs "**" are a wildcard and its modifier',
    );
    rejectsAsTooCostly('urlpattern', `https://example.com/${'*/'.repeat(1000)}`);
    rejectsAsTooCostly('urlpattern', `https://${'*.'.repeat(500)}example.com/`);
  });

  it('many named groups with modifiers', SAFETY, () => {
    const msg = rejectsAsTooCostly('urlpattern', `https://example.com/${names(400, (i) => `:a${i}*`)}`);
    assert.match(msg, /400 groups/);
    rejectsAsTooCostly('urlpattern', `https://example.com/${names(33, (i) => `:a${i}`)}`);
    rejectsAsTooCostly('urlpattern', `https://example.com/x${names(33, (i) => `{/:a${i}}?`)}`);
  });

  it('ambiguous or huge custom regexp groups', SAFETY, () => {
    rejectsAsTooCostly('urlpattern', `https://example.com/${'((?:a+)+)'.repeat(11)}`);
    const msg = rejectsAsTooCostly('urlpattern', 'https://example.com/(.{0,500})');
    assert.match(msg, /501 groups/);
    rejectsAsTooCostly('urlpattern', 'https://example.com/(a{1000})');
  });

  it('URI templates with many variables', SAFETY, () => {
    rejectsAsTooCostly('uritemplate', `https://example.com/{${names(400, (i) => `${i ? ',' : ''}a${i}`)}}`);
    rejectsAsTooCostly('uritemplate', `https://example.com${names(17, (i) => `{/a${i}*}{+b${i}}`)}`);
  });

  it('counts regexp ambiguity conservatively', () => {
    assert.equal(regexpVariableParts('\\d+'), 1);
    assert.equal(regexpVariableParts('\\d{4}'), 4);
    assert.equal(regexpVariableParts('a{2,5}'), 5);
    assert.equal(regexpVariableParts('a{7,}'), 8);
    assert.equal(regexpVariableParts('en|fr|de'), 2);
    assert.equal(regexpVariableParts('\\*\\+\\?\\|'), 0);
    assert.equal(regexpVariableParts('(?:a|aa)*'), 3);
    assert.equal(regexpVariableParts('x{'), 0);
  });
});

describe('selectors at the cost cap run on RE2 with a bounded program', () => {
  const atCap: [string, string][] = [
    ['*/', `https://example.com/${'*/'.repeat(MAX_SELECTOR_VARIABLE_PARTS)}`],
    [':a*', `https://example.com/${names(MAX_SELECTOR_VARIABLE_PARTS, (i) => `:a${i}*`)}`],
    [':a-', `https://example.com/${names(MAX_SELECTOR_VARIABLE_PARTS, (i) => `:a${i}-`)}`],
    ['(.*)/', `https://example.com/${'(.*)/'.repeat(MAX_SELECTOR_VARIABLE_PARTS)}`],
    ['{:a}?', `https://example.com/${names(MAX_SELECTOR_VARIABLE_PARTS, (i) => `{:a${i}}?`)}`],
    ['((?:a|aa)*)', `https://example.com/${'((?:a|aa)*)'.repeat(MAX_SELECTOR_VARIABLE_PARTS / 4)}`],
  ];

  for (const [name, pattern] of atCap) {
    it(`URL pattern ${name} x${MAX_SELECTOR_VARIABLE_PARTS}`, SAFETY, () => {
      const m = compileUrlPattern(pattern, HUB);
      // The bound is structural: the pathname is an RE2 program of known size, so one match
      // costs at most (topic length x program size) steps, whatever the topic.
      assert.equal(m.components.pathname.kind, 're2');
      assert.ok(
        m.programSize > 0 && m.programSize <= MAX_SELECTOR_PROGRAM_SIZE,
        `program size ${m.programSize}`,
      );
      const s = compileSelector('urlpattern', pattern, LIMITS);
      for (const topic of ADVERSARIAL) assert.equal(typeof s.matches(topic), 'boolean');
    });
  }

  it('answers correctly on adversarial topics', SAFETY, () => {
    const slashes = compileSelector('urlpattern', `https://example.com/${'*/'.repeat(32)}`, LIMITS);
    assert.equal(slashes.matches(`https://example.com/${'a/'.repeat(1000)}`), true);
    assert.equal(slashes.matches(`https://example.com/${'a/'.repeat(1000)}!`), false);
    assert.equal(slashes.matches(`https://example.com/${'a/'.repeat(31)}`), false, 'needs 32 more slashes');
    assert.equal(slashes.matches(`https://example.com/${'/'.repeat(32)}`), true);

    // `((?:a|aa)+)` then "b": exponential for a backtracking engine on a run of "a" without the "b".
    const ambiguous = compileSelector('urlpattern', 'https://example.com/((?:a|aa)+)b', LIMITS);
    assert.equal(ambiguous.matches(`https://example.com/${'a'.repeat(2000)}`), false);
    assert.equal(ambiguous.matches(`https://example.com/${'a'.repeat(2000)}b`), true);
    assert.equal(ambiguous.matches(`https://example.com/${'a'.repeat(2000)}c`), false);

    const segments = compileSelector(
      'urlpattern',
      `https://example.com/${names(32, (i) => `:a${i}-`)}`,
      LIMITS,
    );
    assert.equal(segments.matches(`https://example.com/${'a-'.repeat(1000)}`), true);
    assert.equal(
      segments.matches(`https://example.com/${'a-'.repeat(31)}`),
      false,
      'each group needs one char',
    );
    assert.equal(segments.matches(`https://example.com/${'a-'.repeat(999)}a`), false, 'must end with "-"');
  });

  it('URI templates at the cap', SAFETY, () => {
    const t = compileUriTemplate(`https://example.com${names(16, (i) => `{/a${i}*}{+b${i}}`)}`);
    assert.ok(
      t.regexp.programSize <= MAX_SELECTOR_PROGRAM_SIZE,
      `program size ${t.regexp.programSize} within ${MAX_SELECTOR_PROGRAM_SIZE}`,
    );
    assert.equal(t.matches(`https://example.com${'/a,b'.repeat(500)}`), true);
    assert.equal(t.matches(`https://example.com${'/a,b'.repeat(500)} `), false);
    const list = compileUriTemplate(`https://example.com{/${names(32, (i) => `${i ? ',' : ''}a${i}`)}}`);
    assert.equal(list.matches(`https://example.com${'/a'.repeat(32)}`), true);
    assert.equal(
      list.matches(`https://example.com${'/a'.repeat(33)}`),
      false,
      'at most one item per variable',
    );
  });

  it('program size grows linearly with the pattern, never exponentially', () => {
    const size = (n: number) =>
      compileUrlPattern(`https://example.com/${names(n, (i) => `{/:a${i}}*`)}`, HUB).programSize;
    const s8 = size(8);
    const s16 = size(16);
    const s32 = size(32);
    assert.ok(s16 - s8 > 0, `program size grows with the pattern: ${s8} ${s16}`);
    assert.equal(s32 - s16, 2 * (s16 - s8), `${s8} ${s16} ${s32}`);
  });

  it('a 2048-character literal pattern is cheap: one long literal, no ambiguity', SAFETY, () => {
    const pattern = `https://example.com/${'abc/'.repeat(507)}`;
    assert.equal(pattern.length, 2048);
    const m = compileUrlPattern(pattern, HUB);
    assert.equal(m.components.pathname.kind, 'literal');
    assert.equal(m.programSize, 0);
    assert.equal(m.matches(pattern), true);
  });
});

describe('the linear-time engine', () => {
  it('is RE2: a classic catastrophic-backtracking expression answers at once', SAFETY, () => {
    // For JavaScript's RegExp, (a+)+$ against "aaa...a!" takes 2^n steps: with n = 5000 it
    // would never return, so this test passing shows the expression did not run there.
    const re = compileLinearRegExp('^(?:a+)+$', DEFAULT_SELECTOR_LIMITS, 'test');
    assert.equal(re.test(`${'a'.repeat(5000)}!`), false);
    assert.equal(re.test('a'.repeat(5000)), true);
    const nested = compileLinearRegExp('^(?:(?:a|aa)*)*b$', DEFAULT_SELECTOR_LIMITS, 'test');
    assert.equal(nested.test('a'.repeat(5000)), false);
  });

  it('refuses what RE2 cannot run, and programs over the cap', () => {
    assert.throws(
      () => compileLinearRegExp('(?=a)', DEFAULT_SELECTOR_LIMITS, 'test'),
      /cannot run on the linear-time engine/,
    );
    assert.throws(
      () => compileLinearRegExp('(a)\\1', DEFAULT_SELECTOR_LIMITS, 'test'),
      /cannot run on the linear-time engine/,
    );
    assert.throws(
      () => compileLinearRegExp('[a-z]{1000}[a-z]{1000}'.repeat(9), DEFAULT_SELECTOR_LIMITS, 'test'),
      /too costly/,
    );
  });

  it('quotes any text so that it matches only itself', () => {
    let text = '';
    for (let c = 0x20; c < 0x7f; c++) text += String.fromCharCode(c);
    text += '\u00e9\u00a0\u{1F600}\u2028';
    const re = compileLinearRegExp(`^${quoteRe2(text)}$`, DEFAULT_SELECTOR_LIMITS, 'test');
    assert.equal(re.test(text), true);
    assert.equal(re.test(`${text}x`), false);
    assert.equal(re.test(text.replace('.', 'x')), false, '"." is not a wildcard');
    for (const ch of text)
      assert.equal(compileLinearRegExp(quoteRe2(ch), DEFAULT_SELECTOR_LIMITS, 'test').test(ch), true, ch);
  });

  it('never throws on odd inputs', () => {
    const re = compileLinearRegExp('^.*$', DEFAULT_SELECTOR_LIMITS, 'test');
    for (const input of ['', '\ud800', '\udc00x', '\u{10FFFF}', '\u0000'])
      assert.equal(typeof re.test(input), 'boolean');
  });
});

/**
 * The caps are limits (`maxSelectorProgramSize`, `maxSelectorVariableParts`): the tests below
 * lower one of them and send selectors that only the lowered value refuses (and the default
 * accepts), so they fail if the option were not passed on to the compiler, the subscribe
 * handler, the authenticator or the CLI.
 */
describe('the cost caps are limits', () => {
  const PARTS_CAP = 4;
  const PROGRAM_CAP = 32;
  /** Five groups: over PARTS_CAP, a small program. */
  const FIVE_GROUPS = 'https://example.com/:a/:b/:c/:d/:e';
  const FOUR_GROUPS = 'https://example.com/:a/:b/:c/:d';
  const FIVE_VARIABLES = 'https://example.com/{a}/{b}/{c}/{d}/{e}';
  const FOUR_VARIABLES = 'https://example.com/{a}/{b}/{c}/{d}';
  /** One group (a SHA-1 commit id): over PROGRAM_CAP instructions, one ambiguous piece. */
  const COMMIT = `https://example.com/commits/(${'[0-9a-f]'.repeat(40)})`;
  const ONE_VARIABLE = 'https://example.com/{a}';
  const TWO_VARIABLES = 'https://example.com/{a}/{b}';

  it('the selectors below are over one cap only, and the defaults agree everywhere', () => {
    assert.equal(compileUrlPattern(FIVE_GROUPS, HUB).programSize <= PROGRAM_CAP, true);
    assert.equal(compileUrlPattern(COMMIT, HUB).programSize > PROGRAM_CAP, true);
    assert.equal(regexpVariableParts('[0-9a-f]'.repeat(40)), 0);
    assert.equal(compileUriTemplate(ONE_VARIABLE).regexp.programSize <= PROGRAM_CAP, true);
    assert.equal(compileUriTemplate(TWO_VARIABLES).regexp.programSize > PROGRAM_CAP, true);
    for (const limits of [DEFAULT_LIMITS, DEFAULT_SELECTOR_LIMITS, DEFAULT_AUTH_LIMITS]) {
      assert.equal(limits.maxSelectorProgramSize, 16_384);
      assert.equal(limits.maxSelectorVariableParts, 32);
    }
    assert.equal(FLAGS.find((f) => f.name === 'max-selector-program-size')?.default, '16384');
    assert.equal(FLAGS.find((f) => f.name === 'max-selector-variable-parts')?.default, '32');
  });

  it('compileSelector takes both caps from its SelectorLimits', () => {
    const parts = { ...LIMITS, maxSelectorVariableParts: PARTS_CAP };
    const program = { ...LIMITS, maxSelectorProgramSize: PROGRAM_CAP };
    const refused = (type: MatchType, raw: string, limits: SelectorLimits, why: RegExp) =>
      assert.throws(() => compileSelector(type, raw, limits), { code: 'invalid_selector', message: why });
    refused('urlpattern', FIVE_GROUPS, parts, /5 groups, wildcards or variables, at most 4$/);
    refused('uritemplate', FIVE_VARIABLES, parts, /5 groups, wildcards or variables, at most 4$/);
    refused('urlpattern', COMMIT, program, /RE2 instructions, at most 32$/);
    refused('uritemplate', TWO_VARIABLES, program, /RE2 instructions, at most 32$/);
    compileSelector('urlpattern', FOUR_GROUPS, parts);
    compileSelector('uritemplate', FOUR_VARIABLES, parts);
    compileSelector('uritemplate', ONE_VARIABLE, program);
    for (const [type, raw] of [
      ['urlpattern', FIVE_GROUPS],
      ['uritemplate', FIVE_VARIABLES],
      ['urlpattern', COMMIT],
      ['uritemplate', TWO_VARIABLES],
    ] as const) {
      compileSelector(type, raw, LIMITS);
    }
    assert.throws(() => compileLinearRegExp('[0-9a-f]'.repeat(40), program, 'test'), /at most 32$/);
  });

  /** A subscription: the answer of a refusal, or status 200 once a stream has started (then closed). */
  async function subscribe(hubUrl: string, pairs: [string, string][], token?: string): Promise<Answer> {
    const controller = new AbortController();
    const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    const res = await fetch(`${hubUrl}?${new URLSearchParams(pairs)}`, {
      headers,
      signal: controller.signal,
    });
    if (res.status !== 200) return answerOf(res);
    controller.abort();
    return { status: 200, headers: res.headers, body: '' };
  }

  describe('through a running hub', () => {
    let parts: HubFixture;
    let program: HubFixture;
    let defaults: HubFixture;

    before(async () => {
      parts = await startHub({ ...SIGNED_HUB, limits: { maxSelectorVariableParts: PARTS_CAP } });
      program = await startHub({ ...SIGNED_HUB, limits: { maxSelectorProgramSize: PROGRAM_CAP } });
      defaults = await startHub(SIGNED_HUB);
    });

    after(async () => {
      await Promise.all([parts.close(), program.close(), defaults.close()]);
    });

    async function refused(fx: HubFixture, pairs: [string, string][], why: RegExp): Promise<void> {
      const a = await subscribe(fx.url, pairs);
      assertProblem(a, 'invalid_selector');
      assert.match((JSON.parse(a.body) as { detail: string }).detail, why);
    }

    it('maxSelectorVariableParts: 400 invalid_selector past it, 200 at it and with the default', async () => {
      const why = /5 groups, wildcards or variables, at most 4$/;
      await refused(parts, [['match_urlpattern', FIVE_GROUPS]], why);
      await refused(parts, [['topic', FIVE_VARIABLES]], why);
      assert.equal((await subscribe(parts.url, [['match_urlpattern', FOUR_GROUPS]])).status, 200);
      assert.equal((await subscribe(parts.url, [['topic', FOUR_VARIABLES]])).status, 200);
      assert.equal((await subscribe(defaults.url, [['match_urlpattern', FIVE_GROUPS]])).status, 200);
      assert.equal((await subscribe(defaults.url, [['topic', FIVE_VARIABLES]])).status, 200);
    });

    it('maxSelectorProgramSize: 400 invalid_selector past it, 200 under it and with the default', async () => {
      const why = /RE2 instructions, at most 32$/;
      await refused(program, [['match_urlpattern', COMMIT]], why);
      await refused(program, [['topic', TWO_VARIABLES]], why);
      assert.equal((await subscribe(program.url, [['match_urlpattern', FIVE_GROUPS]])).status, 200);
      assert.equal((await subscribe(program.url, [['topic', ONE_VARIABLE]])).status, 200);
      assert.equal((await subscribe(defaults.url, [['match_urlpattern', COMMIT]])).status, 200);
      assert.equal((await subscribe(defaults.url, [['topic', TWO_VARIABLES]])).status, 200);
    });

    it('a token granting a selector past a cap is refused like any selector that does not compile: 401 invalid_token', async () => {
      const atJwt = (topic: string) =>
        signClaims(
          {
            iss: ISSUER,
            aud: AUDIENCE,
            exp: nowSeconds() + 3600,
            authorization_details: [
              {
                type: 'https://mercure.rocks/authorization-detail',
                actions: ['subscribe'],
                topics: [{ match: topic, match_type: 'urlpattern' }],
              },
            ],
          },
          { key: SUBSCRIBER_SECRET },
        );
      // 0.x dialect: no typ, URI templates in the `mercure` claim.
      const legacy = (template: string) =>
        signClaims({ mercure: { subscribe: [template] } }, { key: SUBSCRIBER_SECRET, typ: null });
      const cases: [HubFixture, string, string][] = [
        [parts, await atJwt(FIVE_GROUPS), await atJwt(FOUR_GROUPS)],
        [parts, await legacy(FIVE_VARIABLES), await legacy(FOUR_VARIABLES)],
        [program, await atJwt(COMMIT), await atJwt(FIVE_GROUPS)],
        [program, await legacy(TWO_VARIABLES), await legacy(ONE_VARIABLE)],
      ];
      const query: [string, string][] = [['match', 'https://example.com/books/1']];
      for (const [fx, over, within] of cases) {
        const a = await subscribe(fx.url, query, over);
        assertProblem(a, 'invalid_token', { challenge: 'invalid_token' });
        assert.match((JSON.parse(a.body) as { detail: string }).detail, /too costly/);
        assert.equal((await subscribe(fx.url, query, within)).status, 200);
        assert.equal(
          (await subscribe(defaults.url, query, over)).status,
          200,
          'accepted with the default caps',
        );
      }
    });
  });

  it('tidings serve --max-selector-variable-parts and --max-selector-program-size set them', async () => {
    const flags = parseFlags(
      [
        '--port',
        '0',
        '--transport',
        'memory',
        '--max-selector-variable-parts',
        String(PARTS_CAP),
        '--max-selector-program-size',
        String(PROGRAM_CAP),
      ],
      {},
    );
    const hub = await serve(flags, pino({ level: 'silent' }));
    try {
      const { port } = hub.server.address() as AddressInfo;
      const get = (pairs: [string, string][]) =>
        subscribe(`http://127.0.0.1:${port}/.well-known/mercure`, pairs);
      const parts = await get([['match_urlpattern', FIVE_GROUPS]]);
      assertProblem(parts, 'invalid_selector');
      assert.match(parts.body, /at most 4"/);
      const program = await get([['match_urlpattern', COMMIT]]);
      assertProblem(program, 'invalid_selector');
      assert.match(program.body, /RE2 instructions, at most 32"/);
    } finally {
      await hub.close();
    }
  });
});
