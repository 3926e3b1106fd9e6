/**
 * Every `assert.ok` / `assert` in the fuzz tests and their support carries a message.
 *
 * Without one, a failing `assert.ok(x)` makes Node 20 build the message from the source: it takes
 * the call site's line and column and parses the file on disk there with acorn. Under tsx the
 * running code is one minified line, so the column points into the middle of the .ts file, where
 * node:assert's `findColumn` (internal/assert/utils) finds nothing it can parse, reads 0 more
 * bytes and recurses, parsing the same text again at every level until the stack overflows:
 * minutes with the event loop blocked, which no test timeout can interrupt. fuzz-publish hung
 * that way about one run in six (seed -277500683) instead of reporting its counterexample. Fuzz
 * tests fail rarely and at random, so there a hang costs most; with a message, none of this runs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const TEST_DIR = import.meta.dirname;

/** `file:line: call` for each assert.ok / assert call with fewer than two arguments. */
function messageless(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      /^assert(\.strict)?(\.ok)?$/.test(node.expression.getText(source)) &&
      node.arguments.length < 2
    ) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${file}:${line + 1}: ${node.getText(source).replace(/\s+/g, ' ').slice(0, 100)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the check finds message-less assert.ok and assert calls, and only those', () => {
  const found = messageless(
    'x.ts',
    "assert.ok(a);\nassert(b);\nassert.strict.ok(c);\nassert.ok(d, 'why');\nassert.equal(e, 1);\nassert(f, String(f));",
  );
  assert.deepEqual(found, ['x.ts:1: assert.ok(a)', 'x.ts:2: assert(b)', 'x.ts:3: assert.strict.ok(c)']);
});

test('the fuzz tests and their support give every assert.ok a message', () => {
  const files = [
    ...readdirSync(TEST_DIR).filter((f) => /^fuzz-.*\.test\.ts$/.test(f)),
    ...readdirSync(join(TEST_DIR, 'support')).map((f) => join('support', f)),
  ].filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, `fuzz tests and support found: ${files.join(', ')}`);
  const found = files.flatMap((f) => messageless(f, readFileSync(join(TEST_DIR, f), 'utf8')));
  assert.deepEqual(
    found,
    [],
    `assert.ok without a message (a failure would hang the run):\n${found.join('\n')}`,
  );
});
