// The client's size as a page gets it: bundled and minified with esbuild, gzipped (level 9).
// `npm run build` runs this after tsc and fails when the core passes its budget.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The budget for the whole client, minified and gzipped (issue 15). */
export const BUDGET_BYTES = 5 * 1024;

const entry = new URL('../src/index.ts', import.meta.url).pathname;

export async function bundleSize(): Promise<{ minified: number; gzipped: number }> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { minified, gzipped } = await bundleSize();
  const ok = gzipped < BUDGET_BYTES;
  console.log(
    `@tidings/client: ${minified} bytes minified, ${gzipped} bytes gzipped (budget ${BUDGET_BYTES}): ${ok ? 'ok' : 'OVER BUDGET'}`,
  );
  if (!ok) process.exitCode = 1;
}
