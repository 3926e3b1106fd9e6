/**
 * Every truthiness assert (`assert.ok(x)`, `assert(x)`) in every test file of the repo carries a message.
 *
 * Without one, a failing `assert.ok(x)` makes Node 20 build the message from the source: it takes
 * the call site's line and column and parses the file on disk there with acorn. Under tsx the
 * running code is one minified line, so the column points into the middle of the .ts file, where
 * node:assert's `findColumn` (internal/assert/utils) finds nothing it can parse, reads 0 more
 * bytes and recurses, parsing the same text again at every level until the stack overflows:
 * minutes with the event loop blocked, which no test timeout can interrupt (nodejs/node#52962).
 * fuzz-publish hung that way about one run in six (seed -277500683) instead of reporting its
 * counterexample; any test would, so a real failure would show up as a hang. Only `ok` and the
 * bare call do this (`innerOk` in lib/assert.js, when the message is `undefined` or `null`);
 * `equal`, `deepEqual`, `match` and the rest describe their operands instead.
 *
 * Test files are every `*.test.ts` and every TypeScript file under a `test` folder (support,
 * helpers, fixtures), found by walking the repo, so a new test folder is covered without a list.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { REPO, testFiles } from './support/test-files.js';

const ASSERT_MODULES = new Set(['assert', 'assert/strict', 'node:assert', 'node:assert/strict']);

/** What a local name imported from node:assert is: the assert function itself, the module namespace, or `ok`. */
type Binding = 'assert' | 'namespace' | 'ok';

/** Local names bound by imports of node:assert; `assert` itself is always taken as the assert function. */
function assertBindings(source: ts.SourceFile): Map<string, Binding> {
  const names = new Map<string, Binding>([['assert', 'assert']]);
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (!ASSERT_MODULES.has(statement.moduleSpecifier.text)) continue;
    const clause = statement.importClause;
    if (clause?.name) names.set(clause.name.text, 'assert');
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.set(bindings.name.text, 'namespace');
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        const imported = (element.propertyName ?? element.name).text;
        if (imported === 'ok') names.set(element.name.text, 'ok');
        if (imported === 'strict' || imported === 'default') names.set(element.name.text, 'assert');
      }
    }
  }
  return names;
}

/** `assert.strict.ok` as ['assert', 'strict', 'ok'], through parentheses and `!`; undefined for anything else. */
function calleePath(node: ts.Expression): string[] | undefined {
  if (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) return calleePath(node.expression);
  if (ts.isIdentifier(node)) return [node.text];
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.name)) {
    const head = calleePath(node.expression);
    return head && [...head, node.name.text];
  }
  if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression)) {
    const head = calleePath(node.expression);
    return head && [...head, node.argumentExpression.text];
  }
  return undefined;
}

/** Whether calling this path is a truthiness assert: `assert`, `assert.ok`, `assert.strict(.ok)`, `ns.ok`, `ok`. */
function isTruthinessAssert(path: string[], names: Map<string, Binding>): boolean {
  const [head, ...rest] = path;
  const binding = head === undefined ? undefined : names.get(head);
  if (binding === undefined) return false;
  if (binding === 'ok') return rest.length === 0;
  if (binding === 'namespace') {
    if (rest.length === 0) return false;
    if (rest[0] === 'default') rest.shift();
  }
  // On the assert function, `strict` is the assert function again and `ok` is the assert.
  return rest.every((part, i) => part === 'strict' || (part === 'ok' && i === rest.length - 1));
}

/** Whether this argument can be a message: not missing, not `undefined`/`null`/`void x`, not an empty string. */
function isMessage(arg: ts.Expression | undefined): boolean {
  if (arg === undefined || ts.isSpreadElement(arg) || ts.isVoidExpression(arg)) return false;
  if (arg.kind === ts.SyntaxKind.NullKeyword) return false;
  if (ts.isIdentifier(arg) && arg.text === 'undefined') return false;
  if (ts.isStringLiteralLike(arg) && arg.text.trim() === '') return false;
  return true;
}

/** `file:line: call` for each truthiness assert whose failure would make Node read the source for a message. */
function messageless(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names = assertBindings(source);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const path = calleePath(node.expression);
      const spread = node.arguments.some((arg) => ts.isSpreadElement(arg));
      if (path && isTruthinessAssert(path, names) && (spread || !isMessage(node.arguments[1]))) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push(`${file}:${line + 1}: ${node.getText(source).replace(/\s+/g, ' ').slice(0, 100)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the check finds message-less assert.ok and assert calls, and only those', () => {
  const found = messageless(
    'x.ts',
    [
      'assert.ok(a);',
      'assert(b);',
      'assert.strict.ok(c);',
      "assert.ok(d, 'why');",
      'assert.equal(e, 1);',
      'assert(f, String(f));',
      'assert.ok(',
      `  g(h(1), [2, (3)]) && \`\${i(4)}\`.length > 0,`,
      ');',
      'assert.ok(',
      '  j(k(1)),',
      `  \`j of \${k(1)} holds\`,`,
      ');',
      'assert.ok(l, undefined);',
      "assert.ok(m, '');",
      'assert.ok(...n);',
      'assert.strict(o);',
      'assert',
      '  .ok(p);',
      'other.ok(q);',
      'ok(r);',
      "const s = { ok: (v: unknown) => v }; s.ok('assert.ok(t)');",
      '// assert.ok(u);',
      'assert.ok(v,',
      '  "on the next line");',
    ].join('\n'),
  );
  assert.deepEqual(found, [
    'x.ts:1: assert.ok(a)',
    'x.ts:2: assert(b)',
    'x.ts:3: assert.strict.ok(c)',
    `x.ts:7: assert.ok( g(h(1), [2, (3)]) && \`\${i(4)}\`.length > 0, )`,
    'x.ts:14: assert.ok(l, undefined)',
    "x.ts:15: assert.ok(m, '')",
    'x.ts:16: assert.ok(...n)',
    'x.ts:17: assert.strict(o)',
    'x.ts:18: assert .ok(p)',
  ]);
});

test('the check follows what node:assert is imported as', () => {
  const found = messageless(
    'y.ts',
    [
      "import check, { ok as truthy, strict, equal } from 'node:assert';",
      "import * as nodeAssert from 'assert/strict';",
      'check(a);',
      'truthy(b);',
      'strict(c);',
      'nodeAssert.ok(d);',
      'nodeAssert.default(e);',
      'nodeAssert.strict.ok(f);',
      'equal(g, 1);',
      "truthy(h, 'h holds');",
      'nodeAssert(i);',
    ].join('\n'),
  );
  assert.deepEqual(found, [
    'y.ts:3: check(a)',
    'y.ts:4: truthy(b)',
    'y.ts:5: strict(c)',
    'y.ts:6: nodeAssert.ok(d)',
    'y.ts:7: nodeAssert.default(e)',
    'y.ts:8: nodeAssert.strict.ok(f)',
  ]);
});

test('every test file in the repo gives every assert.ok and assert call a message', () => {
  const files = testFiles();
  for (const expected of [
    'packages/hub/test/fuzz-publish.test.ts',
    'packages/hub/test/support/sse-reader.ts',
    'packages/redis/test/redis-store.test.ts',
    'packages/test-support/src/engine-contract.ts',
    'apps/picture-frame/test/browser.test.ts',
    'apps/picture-frame/test/helpers/chromium.ts',
  ]) {
    assert.ok(files.includes(expected), `${expected} is among the test files found: ${files.join(', ')}`);
  }
  const found = files.flatMap((f) => messageless(f, readFileSync(join(REPO, f), 'utf8')));
  assert.deepEqual(
    found,
    [],
    `assert.ok / assert without a message (a failure would hang the run under tsx, nodejs/node#52962):\n${found.join('\n')}`,
  );
});
