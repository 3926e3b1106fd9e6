import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubError } from '../src/errors.js';
import { compileSelector } from '../src/selector/compile-selector.js';
import { DEFAULT_SELECTOR_LIMITS, type MatchType } from '../src/selector/selector.js';
import { isValidTopicText } from '../src/selector/topic-text.js';

const TYPES: MatchType[] = ['exact', 'urlpattern', 'uritemplate'];

function rejects(type: MatchType, raw: string, reason: RegExp, limits = DEFAULT_SELECTOR_LIMITS): void {
  assert.throws(
    () => compileSelector(type, raw, limits),
    (err: unknown) => {
      assert.ok(err instanceof HubError, `expected a HubError, got ${String(err)}`);
      assert.equal(err.code, 'invalid_selector');
      assert.equal(err.status, 400);
      assert.match(err.message, reason);
      assert.doesNotMatch(err.message, /[\r\n]/, 'the reason is one line');
      return true;
    },
  );
}

describe('Exact selectors', () => {
  it('compare byte for byte, case-sensitively', () => {
    const s = compileSelector('exact', 'https://example.com/books/1');
    assert.deepEqual(
      { type: s.type, raw: s.raw, wildcard: s.wildcard, exact: s.exact },
      { type: 'exact', raw: 'https://example.com/books/1', wildcard: false, exact: true },
    );
    assert.equal(s.matches('https://example.com/books/1'), true);
    assert.equal(s.matches('https://EXAMPLE.com/books/1'), false);
    assert.equal(s.matches('https://example.com/Books/1'), false);
    assert.equal(s.matches('https://example.com/books/1/'), false);
    assert.equal(s.matches('https://example.com/books/'), false);
    assert.equal(s.matches(' https://example.com/books/1'), false);
  });

  it('do not resolve relative values nor normalise', () => {
    const s = compileSelector('exact', '/books/1', {
      ...DEFAULT_SELECTOR_LIMITS,
      hubUrl: 'https://example.com/',
    });
    assert.equal(s.matches('/books/1'), true);
    assert.equal(s.matches('https://example.com/books/1'), false);
    const dots = compileSelector('exact', 'https://example.com/a/../b');
    assert.equal(dots.matches('https://example.com/b'), false);
    assert.equal(dots.matches('https://example.com/a/../b'), true);
    const pct = compileSelector('exact', 'https://example.com/%7Euser');
    assert.equal(pct.matches('https://example.com/~user'), false);
    // NFC "é" (U+00E9) is not NFD "e" + U+0301.
    const nfc = compileSelector('exact', 'caf\u00e9');
    assert.equal(nfc.matches('cafe\u0301'), false);
    assert.equal(nfc.matches('caf\u00e9'), true);
  });

  it('treat pattern syntax as plain text', () => {
    const s = compileSelector('exact', 'https://example.com/books/:id{/x}?*');
    assert.equal(s.matches('https://example.com/books/1'), false);
    assert.equal(s.matches('https://example.com/books/:id{/x}?*'), true);
  });
});

describe('the * wildcard', () => {
  for (const type of TYPES) {
    it(`matches every topic as a ${type} selector`, () => {
      const s = compileSelector(type, '*');
      assert.equal(s.type, type);
      assert.equal(s.wildcard, true);
      assert.equal(s.exact, true);
      for (const topic of ['https://example.com/books/1', 'urn:uuid:1', '*', 'not a url', '/relative']) {
        assert.equal(s.matches(topic), true, topic);
      }
    });
  }

  it('is only the exact value *', () => {
    const s = compileSelector('exact', '**');
    assert.equal(s.wildcard, false);
    assert.equal(s.matches('anything'), false);
    assert.equal(compileSelector('urlpattern', '/*').wildcard, false);
  });
});

describe('selector bounds', () => {
  it('rejects selectors longer than maxSelectorLength, for every type', () => {
    const limits = { ...DEFAULT_SELECTOR_LIMITS, maxSelectorLength: 20 };
    for (const type of TYPES) {
      rejects(type, 'https://example.com/books', /longer than 20/, limits);
      assert.equal(compileSelector(type, 'https://example.com/', limits).raw, 'https://example.com/');
    }
  });

  it('defaults maxSelectorLength to 2048', () => {
    const at = `https://example.com/${'a'.repeat(2048 - 20)}`;
    assert.equal(at.length, 2048);
    assert.equal(compileSelector('exact', at).matches(at), true);
    rejects('exact', `${at}a`, /longer than 2048/);
  });

  it('rejects control characters, DEL and lone surrogates, for every type', () => {
    for (const type of TYPES) {
      for (const bad of [
        'a\u0000b',
        'a\nb',
        'a\tb',
        'a\u001fb',
        'a\u007fb',
        'a\u0080b',
        'a\u009fb',
        'a\ud800b',
        'a\udc00b',
        'a\ud800',
      ]) {
        rejects(type, `https://example.com/${bad}`, /control character or a lone surrogate/);
      }
    }
  });

  it('rejects the empty selector and unknown types', () => {
    for (const type of TYPES) rejects(type, '', /empty selector/);
    rejects('Regex' as MatchType, 'a.*', /unknown matcher type/);
  });
});

describe('isValidTopicText', () => {
  it('accepts printable text, including non-ASCII and astral characters', () => {
    for (const ok of [
      'https://example.com/books/1',
      'urn:uuid:1',
      '',
      ' ',
      'caf\u00e9',
      '\u00a0',
      '\u{1F600}',
      '\ud83d\ude00x',
      '\u2028',
    ]) {
      assert.equal(isValidTopicText(ok), true, JSON.stringify(ok));
    }
  });

  it('rejects C0, DEL, C1 and lone surrogates', () => {
    for (let c = 0; c <= 0x1f; c++)
      assert.equal(isValidTopicText(`a${String.fromCharCode(c)}`), false, `U+${c}`);
    for (let c = 0x7f; c <= 0x9f; c++)
      assert.equal(isValidTopicText(`a${String.fromCharCode(c)}`), false, `U+${c}`);
    assert.equal(isValidTopicText('\u00a0'), true, 'U+00A0 is the first code point after C1');
    for (const bad of ['\ud800', '\udfff', 'a\ud83d', '\ude00a', '\ud83d\ud83d', '\ude00\ud83d']) {
      assert.equal(isValidTopicText(bad), false, JSON.stringify(bad));
    }
  });
});
