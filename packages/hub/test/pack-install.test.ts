import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * What `npm publish` would ship, installed as a user installs it: `npm pack` of each package
 * (the compiled `dist/`, built by `tsc -b` before the tests), installed from the tarballs into a
 * scratch project outside the repository (no workspace links, no parent node_modules), from the
 * npm cache. Then a script imports both packages and runs a hub, the `tidings` bin answers, and
 * TypeScript finds the types through `exports`.
 */
describe('packed packages install and run outside the repository', { timeout: 240_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tidings-pack-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('npm pack -> npm install in a scratch project -> import, run, bin, types', async () => {
    const packed = await run(
      'npm',
      ['pack', '--json', '--pack-destination', scratch, '-w', 'packages/hub', '-w', 'packages/redis'],
      {
        cwd: ROOT,
      },
    );
    const tarballs = (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]).map(
      (p) => ({ file: join(scratch, p.filename), paths: p.files.map((f) => f.path) }),
    );
    assert.equal(tarballs.length, 2, 'two packages packed');
    for (const t of tarballs) {
      assert.ok(t.paths.includes('dist/src/index.js'), `${t.file} ships dist/src/index.js`);
      assert.ok(t.paths.includes('dist/src/index.d.ts'), `${t.file} ships its types`);
      assert.ok(
        !t.paths.some((p) => p.endsWith('.ts') && !p.endsWith('.d.ts')),
        `${t.file} ships no TypeScript sources`,
      );
      assert.ok(!t.paths.some((p) => p.startsWith('test/')), `${t.file} ships no tests`);
    }

    const project = join(scratch, 'app');
    rmSync(project, { recursive: true, force: true });
    await run('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
    );
    // From the npm cache (the repository's own install filled it); install scripts are not
    // needed: lmdb's binary comes as a platform package.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        ...tarballs.map((t) => t.file),
      ],
      { cwd: project },
    );
    const installed = join(project, 'node_modules/@tidings/hub');
    assert.ok(!lstatSync(installed).isSymbolicLink(), 'a real copy, not a link to the monorepo');
    assert.ok(!readdirSync(installed).includes('src'), 'no sources next to dist');

    writeFileSync(
      join(project, 'smoke.mjs'),
      `import { createHub } from '@tidings/hub';
import { createRedisEngine } from '@tidings/redis';
if (typeof createRedisEngine !== 'function') throw new Error('no createRedisEngine');
const hub = await createHub();
const { port } = await hub.listen(0);
const url = 'http://127.0.0.1:' + port + '/.well-known/mercure';
const res = await fetch(url + '?match=t');
const reader = res.body.getReader();
const id = await hub.publish({ topics: ['t'], data: 'hello from the tarball' });
let text = '';
while (!text.includes('hello from the tarball')) text += new TextDecoder().decode((await reader.read()).value);
await reader.cancel();
await hub.close();
console.log(JSON.stringify({ id, ok: text.includes('id: ' + id) }));
`,
    );
    const smoke = await run(process.execPath, ['smoke.mjs'], { cwd: project });
    const result = JSON.parse(smoke.stdout.trim().split('\n').at(-1)!) as { id: string; ok: boolean };
    assert.ok(result.ok, `the installed hub delivered its update: ${smoke.stdout}`);

    const bin = await run(join(project, 'node_modules/.bin/tidings'), ['serve', '--help'], { cwd: project });
    assert.match(bin.stdout, /^Usage: tidings serve/, 'the tidings bin runs from the install');

    writeFileSync(
      join(project, 'typed.ts'),
      `import { createHub, type Hub, type HubSubscription } from '@tidings/hub';
import { RedisEngine } from '@tidings/redis';
const hub: Hub = await createHub();
const sub: HubSubscription = await hub.subscribe('t', (u) => u.data.length);
const n: number = hub.subscriberCount + (RedisEngine === undefined ? 0 : 1);
sub.close();
export { n };
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(ROOT, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['typed.ts'],
      }),
    );
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project]).catch(
      (err: { stdout: string }) => assert.fail(`types resolve through exports: ${err.stdout}`),
    );
  });
});
