import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { it } from 'node:test';

// The layout rules of packages/hub/src (CONTRIBUTING.md, 'Layout'): the import graph between its
// folders has no cycle, and no source file is over MAX_LINES lines. A top-level file (hub.ts,
// errors.ts, ...) is a node of its own; a folder's subfolders belong to it.

const SRC = resolve(import.meta.dirname, '../src');
const MAX_LINES = 300;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The graph node a source file belongs to: its top folder under src, or the file itself. */
function nodeOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] as string);
}

const IMPORT =
  /^\s*(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|^\s*import\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

/** Folder-level edges (from -> to, with one file import that makes each), from the import text. */
export function folderGraph(files: string[]): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = nodeOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!target.startsWith(SRC + sep)) continue;
      const to = nodeOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, `${relative(SRC, file)} -> ${spec}`);
    }
  }
  return graph;
}

/** Every cycle's nodes in order (one per strongly connected component of more than one node). */
export function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles(SRC);

it('the folders of packages/hub/src import each other without a cycle', () => {
  const graph = folderGraph(files);
  const report = cycles(graph).map((component) => {
    const inside = new Set(component);
    const edges = component.flatMap((from) =>
      [...(graph.get(from) ?? new Map<string, string>())]
        .filter(([to]) => inside.has(to))
        .map(([to, via]) => `    ${from} -> ${to} (${via})`),
    );
    return `  ${component.join(' ')}\n${edges.join('\n')}`;
  });
  assert.equal(report.length, 0, `import cycles between folders:\n${report.join('\n')}`);
});

it(`no source file of packages/hub/src is over ${MAX_LINES} lines`, () => {
  const long = files
    .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${file}: ${lines}`);
  assert.equal(long.length, 0, `files over ${MAX_LINES} lines:\n${long.join('\n')}`);
});

it('the cycle finder finds a cycle and passes a tree', () => {
  const edge = (to: string) => new Map([[to, 'x']]);
  assert.deepEqual(
    cycles(
      new Map([
        ['a/', edge('b/')],
        ['b/', edge('c/')],
        ['c/', edge('a/')],
      ]),
    ),
    [['a/', 'b/', 'c/']],
  );
  assert.deepEqual(
    cycles(
      new Map([
        ['a/', edge('b/')],
        ['b/', new Map()],
      ]),
    ),
    [],
  );
});

it('index.ts only re-exports', () => {
  const text = readFileSync(join(SRC, 'index.ts'), 'utf8');
  const statements = text
    .split(/;\s*\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const statement of statements)
    assert.match(statement, /^export (\*|\{[^}]*\}|type \{[^}]*\}) from '[^']+'$/s, statement);
});
