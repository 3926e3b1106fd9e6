/**
 * Patterns that let a test pass whatever the code does, kept out of every test file of the repo
 * (issue 19; the message rule for assert.ok is in assert-messages.test.ts):
 * - an empty `catch` around an assertion or a wait: the failure it would report is swallowed;
 * - a waiting helper whose promise is left floating or `.catch`-ed: its timeout never fails the test;
 * - `ended()` / `endedWithin()` awaited for nothing: how the stream ended (clean or reset) is its
 *   result, and a test that waits for an end must look at it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { REPO, testFiles } from './support/test-files.js';

/** Helpers that wait for something and fail (reject) when it does not come. */
const WAITS = new Set([
  'waitFor',
  'waitForId',
  'waitForMetric',
  'waitUntil',
  'waitForBlocks',
  'until',
  'ended',
  'endedWithin',
  'waitForFunction',
]);
/** Waits whose result is the verdict (how a stream ended). */
const VERDICTS = new Set(['ended', 'endedWithin']);

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

function isAssertOrWait(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const text = n.expression.getText();
      const name = calleeName(n);
      if (/^assert(\.|$)/.test(text) || (name !== undefined && WAITS.has(name))) found = true;
    }
    // A function defined in the try block runs later, elsewhere: not what this catch guards.
    if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** Whether a catch block rethrows or reads its error (to excuse only some errors). */
function looksAtError(block: ts.Block, binding: ts.VariableDeclaration | undefined): boolean {
  const name = binding !== undefined && ts.isIdentifier(binding.name) ? binding.name.text : undefined;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isThrowStatement(n)) found = true;
    if (name !== undefined && ts.isIdentifier(n) && n.text === name) found = true;
    ts.forEachChild(n, visit);
  };
  visit(block);
  return found;
}

/** `file:line: what` for each pattern found. */
function guarded(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${file}:${line + 1}: ${what}: ${node.getText(source).replace(/\s+/g, ' ').slice(0, 80)}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isTryStatement(node) && node.catchClause && isAssertOrWait(node.tryBlock)) {
      const { block, variableDeclaration } = node.catchClause;
      if (block.statements.length === 0) report(node, 'empty catch around an assertion or a wait');
      else if (!looksAtError(block, variableDeclaration))
        report(node, 'a catch around an assertion or a wait that neither looks at the error nor rethrows');
    }
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      if (name !== undefined && WAITS.has(name)) {
        let parent = node.parent;
        while (ts.isParenthesizedExpression(parent)) parent = parent.parent;
        if (ts.isExpressionStatement(parent)) report(node, 'a wait left floating (not awaited)');
        if (
          ts.isPropertyAccessExpression(parent) &&
          parent.name.text === 'catch' &&
          ts.isCallExpression(parent.parent)
        )
          report(node, 'a wait whose failure is caught away');
        if (VERDICTS.has(name) && ts.isAwaitExpression(parent) && ts.isExpressionStatement(parent.parent))
          report(node, 'how the stream ended is ignored');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the guard finds each pattern, and only those', () => {
  const found = guarded(
    'x.ts',
    [
      'try { assert.equal(a, 1); } catch {}',
      'try { await r.waitFor(1); } catch (e) {}',
      'try { JSON.parse(s); } catch {}',
      'try { assert.equal(b, 1); } catch (e) { if (!isConnectionError(e)) throw e; }',
      'try { f(() => assert.ok(c, "c")); } catch {}',
      'r.waitFor(2);',
      'await r.waitFor(3);',
      'const e = await r.waitFor(4);',
      'await waitForMetric(u, "m", "", (v) => v > 0).catch(() => 0);',
      'await r.ended();',
      'const end = await r.endedWithin();',
      'await Promise.all([r.waitFor(5), s.waitFor(5)]);',
      'return r.waitFor(6);',
      'try { const res = await fetch(u); assert.equal(await res.text(), id); } catch { unknown.push(id); }',
      'try { assert.equal(c, 1); } catch (e) { log(e); }',
    ].join('\n'),
  );
  assert.deepEqual(
    found.map((f) => f.split(': ').slice(0, 2).join(': ')),
    [
      'x.ts:1: empty catch around an assertion or a wait',
      'x.ts:2: empty catch around an assertion or a wait',
      'x.ts:6: a wait left floating (not awaited)',
      'x.ts:9: a wait whose failure is caught away',
      'x.ts:10: how the stream ended is ignored',
      'x.ts:14: a catch around an assertion or a wait that neither looks at the error nor rethrows',
    ],
    found.join('\n'),
  );
});

/**
 * Reviewed exceptions, `file: the line's text start`, each with why it cannot hide a failure.
 * browser-hub's waitLog swallows the wait's timeout to return the page's log, which every caller
 * then compares with deepEqual: a missing entry still fails, with the whole log in the message.
 */
const ALLOWED = new Set(['packages/client/test/browser-hub.test.ts: a wait whose failure is caught away']);

test('no test file in the repo swallows an assertion or ignores a wait', () => {
  const files = testFiles();
  for (const expected of ['packages/hub/test/crash-lmdb.test.ts', 'apps/picture-frame/test/state.test.ts'])
    assert.ok(files.includes(expected), `${expected} is among the test files found`);
  const found = files
    .flatMap((f) => guarded(f, readFileSync(join(REPO, f), 'utf8')))
    .filter(
      (f) =>
        !ALLOWED.has(
          f
            .replace(/:\d+: /, ': ')
            .split(': ')
            .slice(0, 2)
            .join(': '),
        ),
    );
  assert.deepEqual(found, [], `patterns that let a test pass whatever happens:\n${found.join('\n')}`);
});
