// Tidings itself: the built CLI (`npx tsc -b` first), anonymous subscribers, no publisher key,
// so publishing needs no token. Skipped with a message when the CLI is not built or not runnable.

import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Extra node flags for the server, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const nodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/hub/dist/src/cli/main.js', import.meta.url));
const BUILD_TIMEOUT_MS = 300_000;

export const tidings = {
  name: 'tidings',
  describe: 'Tidings hub (this repo)',

  prepare({ build }) {
    if (build) {
      const r = spawnSync('npx', ['tsc', '-b'], { cwd: ROOT, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
      if (r.status !== 0) {
        const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(0, 5).join('\n      ');
        // tsc -b may still have emitted the hub when another package fails: carry on if the CLI exists.
        if (!existsSync(CLI)) return { skip: `npx tsc -b failed and ${CLI} is missing:\n      ${out}` };
        process.stderr.write(
          `  tidings: npx tsc -b reported errors, using the emitted CLI anyway:\n      ${out}\n`,
        );
      }
    }
    if (!existsSync(CLI)) return { skip: `the hub CLI is not built yet (${CLI} missing)` };
    return {};
  },

  // The brief's command line plus what a benchmark needs: in-memory history like nchan's message
  // buffer (BENCH_TIDINGS_TRANSPORT=lmdb for the durable default, its data in the run's temp dir),
  // no publish rate limit and no per-address stream cap (every subscriber comes from 127.0.0.1),
  // and warnings only (nginx runs with access_log off). BENCH_TIDINGS_ARGS appends more flags.
  command: ({ host, port, dir }) => ({
    cmd: process.execPath,
    args: [
      ...nodeArgs(),
      CLI,
      'serve',
      '--port',
      String(port),
      '--host',
      host,
      '--anonymous',
      '--history-size',
      '1000',
      '--transport',
      process.env.BENCH_TIDINGS_TRANSPORT ?? 'memory',
      '--data-dir',
      join(dir, 'tidings-data'),
      '--publish-rate',
      '0',
      '--max-subscribers',
      '1000000',
      '--max-subscribers-per-client',
      '1000000',
      '--log-level',
      'warn',
      ...(process.env.BENCH_TIDINGS_ARGS ?? '').split(' ').filter(Boolean),
    ],
    cwd: ROOT,
  }),

  // BENCH_MAX_RATE=R subscribes with maxRate=R (docs/mercure.md "Maximum rate"; `--max-rate`).
  subscribePath: (topic) =>
    `/.well-known/mercure?match=${encodeURIComponent(topic)}${process.env.BENCH_MAX_RATE ? `&maxRate=${process.env.BENCH_MAX_RATE}` : ''}`,
  publish: (topic) => ({
    path: '/.well-known/mercure',
    contentType: 'application/x-www-form-urlencoded',
    bodyPrefix: `topic=${encodeURIComponent(topic)}&data=`,
  }),
};

/**
 * The same hub, subscribed over HTTP/2 with prior knowledge (h2c) on its cleartext port: one
 * subscriber per connection, or 100 streams per connection (the hub's default
 * h2MaxConcurrentStreams). Publishing stays HTTP/1.1, so only the delivery path differs.
 */
export const tidingsH2 = {
  ...tidings,
  name: 'tidings-h2',
  describe: 'Tidings, h2c subscribers, 1 per connection',
  h2StreamsPerConnection: 1,
};
export const tidingsH2x100 = {
  ...tidings,
  name: 'tidings-h2x100',
  describe: 'Tidings, h2c subscribers, 100 streams per connection',
  h2StreamsPerConnection: 100,
};

/** An HS256 publisher token for `*` (0.x `mercure` claim), valid for a day, signed by hand. */
function publisherToken(secret) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ mercure: { publish: ['*'] }, exp: Math.floor(Date.now() / 1000) + 86_400 })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Tidings with a publisher key, every publish carrying `Authorization: Bearer <HS256 token>`, on
 * the given store (`lmdb`: the durable default, fdatasync per group commit, in the run's temp
 * dir; `memory`). The publish-path benchmark (`--targets nchan,tidings-memory-token,tidings-lmdb-token`).
 * `base` is the hub to run: this checkout (`tidings`) or BENCH_BASELINE's (`tidingsBaseline`).
 */
function withToken(transport, base = tidings) {
  const secret = randomBytes(32).toString('base64url');
  const token = publisherToken(secret);
  return {
    ...base,
    name: `${base.name}-${transport}-token`,
    describe: `${base.describe}, ${transport} store, HS256 publisher token`,
    command: (o) => {
      const cmd = base.command(o);
      const args = [...cmd.args];
      args[args.indexOf('--transport') + 1] = transport;
      return { ...cmd, args: [...args, '--publisher-jwt-key', secret] };
    },
    publish: (topic) => ({ ...base.publish(topic), headers: { Authorization: `Bearer ${token}` } }),
  };
}

export const tidingsMemoryToken = withToken('memory');
export const tidingsLmdbToken = withToken('lmdb');

/**
 * Tidings built from another checkout (BENCH_BASELINE=/path/to/checkout, built with `npx tsc -b`
 * there), run with the same flags in the same run: a change's before and after as ratios measured
 * under the same load (`--targets tidings,tidings-baseline`).
 */
export const tidingsBaseline = {
  ...tidings,
  name: 'tidings-baseline',
  describe: 'Tidings hub built from $BENCH_BASELINE',
  prepare() {
    const dir = process.env.BENCH_BASELINE;
    if (!dir) return { skip: 'set BENCH_BASELINE to a built checkout' };
    const cli = join(dir, 'packages/hub/dist/src/cli/main.js');
    return existsSync(cli) ? {} : { skip: `${cli} missing: run npx tsc -b in ${dir}` };
  },
  command: (o) => {
    const dir = process.env.BENCH_BASELINE ?? ROOT;
    const base = tidings.command(o);
    const args = base.args.map((a) => (a === CLI ? join(dir, 'packages/hub/dist/src/cli/main.js') : a));
    return { ...base, args, cwd: dir };
  },
};

/**
 * The LMDB + token publish path of BENCH_BASELINE's build, in the same run as this checkout's
 * (`--publish-path --targets nchan,tidings-lmdb-token,tidings-baseline-lmdb-token`): a change's
 * before and after under the same load, each as a ratio to nchan.
 */
export const tidingsBaselineLmdbToken = withToken('lmdb', tidingsBaseline);
