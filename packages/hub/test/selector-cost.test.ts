import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubError } from '../src/errors.js';
import { compileSelector } from '../src/pubsub/compile-selector.js';
import { compileLinearRegExp, quoteRe2 } from '../src/pubsub/linear-regexp.js';
import type { MatchType, SelectorLimits } from '../src/pubsub/selector.js';
import {
  MAX_SELECTOR_PROGRAM_SIZE,
  MAX_SELECTOR_VARIABLE_PARTS,
  regexpVariableParts,
} from '../src/pubsub/selector-cost.js';
import { compileUriTemplate } from '../src/pubsub/uri-template-matcher.js';
import { compileUrlPattern } from '../src/pubsub/url-pattern-matcher.js';

const HUB = 'https://hub.example/.well-known/mercure';
const LIMITS: SelectorLimits = { maxSelectorLength: 4096, hubUrl: HUB };
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
    const msg = rejectsAsTooCostly('URLPattern', `https://example.com/${'*'.repeat(2000)}`);
    assert.match(
      msg,
      /1000 groups, wildcards or variables, at most 32/,
      'pairs "**" are a wildcard and its modifier',
    );
    rejectsAsTooCostly('URLPattern', `https://example.com/${'*/'.repeat(1000)}`);
    rejectsAsTooCostly('URLPattern', `https://${'*.'.repeat(500)}example.com/`);
  });

  it('many named groups with modifiers', SAFETY, () => {
    const msg = rejectsAsTooCostly('URLPattern', `https://example.com/${names(400, (i) => `:a${i}*`)}`);
    assert.match(msg, /400 groups/);
    rejectsAsTooCostly('URLPattern', `https://example.com/${names(33, (i) => `:a${i}`)}`);
    rejectsAsTooCostly('URLPattern', `https://example.com/x${names(33, (i) => `{/:a${i}}?`)}`);
  });

  it('ambiguous or huge custom regexp groups', SAFETY, () => {
    rejectsAsTooCostly('URLPattern', `https://example.com/${'((?:a+)+)'.repeat(11)}`);
    const msg = rejectsAsTooCostly('URLPattern', 'https://example.com/(.{0,500})');
    assert.match(msg, /501 groups/);
    rejectsAsTooCostly('URLPattern', 'https://example.com/(a{1000})');
  });

  it('URI templates with many variables', SAFETY, () => {
    rejectsAsTooCostly('URITemplate', `https://example.com/{${names(400, (i) => `${i ? ',' : ''}a${i}`)}}`);
    rejectsAsTooCostly('URITemplate', `https://example.com${names(17, (i) => `{/a${i}*}{+b${i}}`)}`);
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
      const s = compileSelector('URLPattern', pattern, LIMITS);
      for (const topic of ADVERSARIAL) assert.equal(typeof s.matches(topic), 'boolean');
    });
  }

  it('answers correctly on adversarial topics', SAFETY, () => {
    const slashes = compileSelector('URLPattern', `https://example.com/${'*/'.repeat(32)}`, LIMITS);
    assert.equal(slashes.matches(`https://example.com/${'a/'.repeat(1000)}`), true);
    assert.equal(slashes.matches(`https://example.com/${'a/'.repeat(1000)}!`), false);
    assert.equal(slashes.matches(`https://example.com/${'a/'.repeat(31)}`), false, 'needs 32 more slashes');
    assert.equal(slashes.matches(`https://example.com/${'/'.repeat(32)}`), true);

    // `((?:a|aa)+)` then "b": exponential for a backtracking engine on a run of "a" without the "b".
    const ambiguous = compileSelector('URLPattern', 'https://example.com/((?:a|aa)+)b', LIMITS);
    assert.equal(ambiguous.matches(`https://example.com/${'a'.repeat(2000)}`), false);
    assert.equal(ambiguous.matches(`https://example.com/${'a'.repeat(2000)}b`), true);
    assert.equal(ambiguous.matches(`https://example.com/${'a'.repeat(2000)}c`), false);

    const segments = compileSelector(
      'URLPattern',
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
    assert.ok(t.regexp.programSize <= MAX_SELECTOR_PROGRAM_SIZE);
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
    assert.ok(s16 - s8 > 0);
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
    const re = compileLinearRegExp('^(?:a+)+$', 'test');
    assert.equal(re.test(`${'a'.repeat(5000)}!`), false);
    assert.equal(re.test('a'.repeat(5000)), true);
    const nested = compileLinearRegExp('^(?:(?:a|aa)*)*b$', 'test');
    assert.equal(nested.test('a'.repeat(5000)), false);
  });

  it('refuses what RE2 cannot run, and programs over the cap', () => {
    assert.throws(() => compileLinearRegExp('(?=a)', 'test'), /cannot run on the linear-time engine/);
    assert.throws(() => compileLinearRegExp('(a)\\1', 'test'), /cannot run on the linear-time engine/);
    assert.throws(() => compileLinearRegExp('[a-z]{1000}[a-z]{1000}'.repeat(9), 'test'), /too costly/);
  });

  it('quotes any text so that it matches only itself', () => {
    let text = '';
    for (let c = 0x20; c < 0x7f; c++) text += String.fromCharCode(c);
    text += '\u00e9\u00a0\u{1F600}\u2028';
    const re = compileLinearRegExp(`^${quoteRe2(text)}$`, 'test');
    assert.equal(re.test(text), true);
    assert.equal(re.test(`${text}x`), false);
    assert.equal(re.test(text.replace('.', 'x')), false, '"." is not a wildcard');
    for (const ch of text) assert.equal(compileLinearRegExp(quoteRe2(ch), 'test').test(ch), true, ch);
  });

  it('never throws on odd inputs', () => {
    const re = compileLinearRegExp('^.*$', 'test');
    for (const input of ['', '\ud800', '\udc00x', '\u{10FFFF}', '\u0000'])
      assert.equal(typeof re.test(input), 'boolean');
  });
});
