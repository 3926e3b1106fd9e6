import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The soft and hard limits on open files of this process (Linux), or undefined elsewhere. */
export function openFilesLimit(): { soft: number; hard: number } | undefined {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null) return undefined;
    const n = (s: string) => (s === 'unlimited' ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return undefined;
  }
}

/**
 * Node cannot raise its own RLIMIT_NOFILE: when the soft limit is below `needed`, runs this very
 * command again under `ulimit -n` (the hub child inherits the limit) and exits with its status.
 * Returns when the limit is already enough.
 */
export function ensureOpenFiles(needed: number): void {
  const limit = openFilesLimit();
  if (limit === undefined || limit.soft >= needed) return;
  if (process.env.SOAK_ULIMIT_RAISED === '1') {
    throw new Error(`ulimit -n is ${limit.soft} after raising it; ${needed} are needed`);
  }
  if (limit.hard < needed) {
    throw new Error(
      `${needed} open files are needed but the hard limit is ${limit.hard}: use fewer --subscribers or raise it`,
    );
  }
  const target = Math.min(limit.hard, Math.max(needed, 20_000));
  console.log(`raising ulimit -n from ${limit.soft} to ${target}`);
  const r = spawnSync(
    'bash',
    [
      '-c',
      `ulimit -n ${target} && exec "$@"`,
      'bash',
      process.execPath,
      ...process.execArgv,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit', env: { ...process.env, SOAK_ULIMIT_RAISED: '1' } },
  );
  process.exit(r.status ?? 1);
}
