import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubError } from '../src/errors.js';
import { compileSelector } from '../src/selector/compile-selector.js';
import { compileUriTemplate } from '../src/selector/uri-template-matcher.js';

function check(template: string, yes: string[], no: string[]): void {
  const s = compileSelector('uritemplate', template);
  assert.equal(s.type, 'uritemplate');
  for (const t of yes) assert.equal(s.matches(t), true, `${template} should match ${t}`);
  for (const t of no) assert.equal(s.matches(t), false, `${template} should not match ${t}`);
}

function rejects(template: string, reason: RegExp): void {
  assert.throws(
    () => compileSelector('uritemplate', template),
    (err: unknown) => {
      assert.ok(err instanceof HubError, `expected a HubError for ${template}, got ${String(err)}`);
      assert.equal(err.code, 'invalid_selector');
      assert.match(err.message, reason);
      return true;
    },
  );
}

// Expansions from RFC 6570 section 3.2 (variables: var = "value", hello = "Hello World!",
// path = "/foo/bar", x = "1024", y = "768", empty = "", list = ["red", "green", "blue"],
// keys = {semi: ";", dot: ".", comma: ","}): each template must match its own expansions.
const RFC_EXPANSIONS: [string, string[]][] = [
  // Level 1
  ['{var}', ['value']],
  ['{hello}', ['Hello%20World%21']],
  // Level 2
  ['{+var}', ['value']],
  ['{+hello}', ['Hello%20World!']],
  ['{+path}/here', ['/foo/bar/here']],
  ['here?ref={+path}', ['here?ref=/foo/bar']],
  ['X{#var}', ['X#value']],
  ['X{#hello}', ['X#Hello%20World!']],
  // Level 3
  ['map?{x,y}', ['map?1024,768']],
  ['{x,hello,y}', ['1024,Hello%20World%21,768']],
  ['{+x,hello,y}', ['1024,Hello%20World!,768']],
  ['{+path,x}/here', ['/foo/bar,1024/here']],
  ['{#x,hello,y}', ['#1024,Hello%20World!,768']],
  ['{#path,x}/here', ['#/foo/bar,1024/here']],
  ['X{.var}', ['X.value']],
  ['X{.x,y}', ['X.1024.768']],
  ['{/var}', ['/value']],
  ['{/var,x}/here', ['/value/1024/here']],
  ['{;x,y}', [';x=1024;y=768']],
  ['{;x,y,empty}', [';x=1024;y=768;empty']],
  ['{?x,y}', ['?x=1024&y=768']],
  ['{?x,y,empty}', ['?x=1024&y=768&empty=']],
  ['?fixed=yes{&x}', ['?fixed=yes&x=1024']],
  ['{&x,y,empty}', ['&x=1024&y=768&empty=']],
  // Level 4
  ['{var:3}', ['val']],
  ['{list}', ['red,green,blue']],
  ['{list*}', ['red,green,blue']],
  ['{keys}', ['semi,%3B,dot,.,comma,%2C']],
  ['{keys*}', ['semi=%3B,dot=.,comma=%2C']],
  ['{+path:6}/here', ['/foo/b/here']],
  ['X{.list*}', ['X.red.green.blue']],
  ['{/list*,path:4}', ['/red/green/blue/%2Ffoo']],
  ['{;list*}', [';list=red;list=green;list=blue']],
  ['{;keys*}', [';semi=%3B;dot=.;comma=%2C']],
  ['{?list*}', ['?list=red&list=green&list=blue']],
  ['{?keys*}', ['?semi=%3B&dot=.&comma=%2C']],
  ['{&keys*}', ['&semi=%3B&dot=.&comma=%2C']],
];

describe('URI templates: RFC 6570 expansions match their template', () => {
  for (const [template, expansions] of RFC_EXPANSIONS) {
    it(template, () => {
      // Every variable may be undefined (RFC 6570 §2.3), so the literal text alone matches too.
      const literal = template.replace(/\{[^}]*\}/g, '');
      check(template, [...expansions, literal], []);
    });
  }
});

describe('URI templates: what does not match', () => {
  it('level 1 values hold no reserved characters', () => {
    check(
      'https://example.com/books/{id}',
      ['https://example.com/books/1', 'https://example.com/books/a-b_c.d~e', 'https://example.com/books/%2F'],
      [
        'https://example.com/books/1/2',
        'https://example.com/books/1?x',
        'https://example.com/books/1#x',
        'https://example.com/books/a b',
        'https://example.com/books/%zz',
        'https://example.com/authors/1',
        'http://example.com/books/1',
        'https://EXAMPLE.com/books/1',
        '/books/1',
      ],
    );
    check(
      'https://example.com/users/{userId}/books/{bookId}',
      ['https://example.com/users/7/books/42'],
      ['https://example.com/users/7/books', 'https://example.com/users/7/8/books/42'],
    );
  });

  it('level 2 reserved expansion spans "/", "?" and "#"', () => {
    check(
      'https://example.com/{+path}',
      ['https://example.com/a/b/c', 'https://example.com/a?b=c#d', 'https://example.com/'],
      ['https://example.com/a b', 'https://example.com/a"b', 'https://example.org/a'],
    );
    check(
      'https://example.com/page{#section}',
      ['https://example.com/page#a/b'],
      ['https://example.com/page/a'],
    );
  });

  it('level 3 operators keep their prefix, separator and names', () => {
    check('https://example.com/doc{.ext}', ['https://example.com/doc.pdf'], ['https://example.com/docpdf']);
    check(
      'https://example.com{/a,b}',
      ['https://example.com/x/y', 'https://example.com/x'],
      ['https://example.com/x/y/z', 'https://example.com/x?y'],
    );
    check(
      'https://example.com/s{?q,lang}',
      ['https://example.com/s?q=books&lang=fr', 'https://example.com/s?lang=fr', 'https://example.com/s?q='],
      ['https://example.com/s?page=2', 'https://example.com/s?q', 'https://example.com/s&q=1'],
    );
    check(
      'https://example.com/m{;v}',
      ['https://example.com/m;v', 'https://example.com/m;v=1'],
      ['https://example.com/m;w=1'],
    );
    check(
      'https://example.com/s?a=1{&b}',
      ['https://example.com/s?a=1&b=2'],
      ['https://example.com/s?a=1&c=2'],
    );
  });

  it('level 4 exploded lists take any number of items', () => {
    check('https://example.com{/path*}', ['https://example.com/a/b/c/d/e'], ['https://example.com/a b']);
  });
});

describe('URI templates: without an expression', () => {
  it('compare exactly, like the 0.x hub', () => {
    const s = compileSelector('uritemplate', 'https://example.com/books/1');
    assert.equal(s.exact, true);
    assert.equal(s.matches('https://example.com/books/1'), true);
    assert.equal(s.matches('https://example.com/books/10'), false);
    // No `{`: a stray `}` or characters a template would refuse are just text.
    const t = compileSelector('uritemplate', 'a}b c');
    assert.equal(t.exact, true);
    assert.equal(t.matches('a}b c'), true);
  });

  it('with an expression the selector is a pattern', () => {
    assert.equal(compileSelector('uritemplate', 'https://example.com/{id}').exact, false);
  });
});

describe('URI templates: malformed', () => {
  const cases: [string, RegExp][] = [
    ['https://example.com/{id', /unclosed expression/],
    ['https://example.com/{a{b}', /"\{" inside an expression/],
    ['https://example.com/a}b{c}', /"\}" outside an expression/],
    ['https://example.com/{}', /empty expression/],
    ['https://example.com/{+}', /empty variable name/],
    ['https://example.com/{a,}', /empty variable name/],
    ['https://example.com/{=a}', /reserved operator/],
    ['https://example.com/{!a}', /reserved operator/],
    ['https://example.com/{@a}', /reserved operator/],
    ['https://example.com/{|a}', /reserved operator/],
    ['https://example.com/{,a}', /reserved operator/],
    ['https://example.com/{a b}', /bad variable spec/],
    ['https://example.com/{a-b}', /bad variable spec/],
    ['https://example.com/{a..b}', /bad variable spec/],
    ['https://example.com/{.a.}', /bad variable spec/],
    ['https://example.com/{a:0}', /bad variable spec/],
    ['https://example.com/{a:10000}', /bad variable spec/],
    ['https://example.com/{a:}', /bad variable spec/],
    ['https://example.com/{a*b}', /bad variable spec/],
    ['https://example.com/{a*:3}', /bad variable spec/],
    ['https://example.com/{%zz}', /bad variable spec/],
    ['https://example.com/%zz{a}', /bad percent-encoding/],
    ['https://example.com/%4{a}', /bad percent-encoding/],
    ['https://example.com/a b/{id}', /not allowed in a template literal/],
    ['https://example.com/<{id}>', /not allowed in a template literal/],
    ["https://example.com/'{id}", /not allowed in a template literal/],
    ['https://example.com/\\{id}', /not allowed in a template literal/],
    ['https://example.com/{id}^', /not allowed in a template literal/],
    ['https://example.com/\uFFFE{id}', /not allowed in a template literal/],
  ];
  for (const [template, reason] of cases) it(template, () => rejects(template, reason));

  it('accepts the whole RFC 6570 varname and literal grammar', () => {
    for (const ok of [
      '{a.b}',
      '{a_1.B2}',
      '{%41b}',
      '{a:9999}',
      '{a,b*,c:1}',
      'https://example.com/caf\u00e9/{id}',
      'https://example.com/\u{1F600}/{id}',
      'https://example.com/%C3%A9/{id}',
      'https://example.com/!$&()*+,;=:@[]/{id}',
    ]) {
      assert.doesNotThrow(() => compileUriTemplate(ok), ok);
    }
    check(
      'https://example.com/%C3%A9/{id}',
      ['https://example.com/%C3%A9/1'],
      ['https://example.com/\u00e9/1'],
    );
  });
});
