import { DEFAULT_LIMITS, type Limits } from '../limits.js';

/**
 * A flag of `tidings serve`. Each flag is also read from the environment as TIDINGS_<NAME>
 * (upper case, dashes as underscores): `--history-size` is TIDINGS_HISTORY_SIZE. A flag on the
 * command line wins over the environment.
 */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'number' | 'duration' | 'boolean' | 'list';
  readonly default?: string;
  readonly help: string;
  /** The limit (limits.ts) this flag sets: its default is DEFAULT_LIMITS', stated once there. */
  readonly limit?: keyof Limits;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export function envName(flag: string): string {
  return `TIDINGS_${flag.toUpperCase().replaceAll('-', '_')}`;
}

const UNITS: readonly [string, number][] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** "15s", "500ms", "2m", "1h", or a plain number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`not a duration: "${text}" (use e.g. 500ms, 15s, 2m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * (unit === 'ms' ? 1 : (UNITS.find(([u]) => u === unit)?.[1] ?? 1)));
}

/** A duration in ms as a flag value parseDuration reads back: 0, 24h, 2m, 15s or 500ms. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A flag that sets a limit: number or duration, its default from DEFAULT_LIMITS. */
export function limitFlag(
  name: string,
  limit: keyof Limits,
  help: string,
  kind: 'number' | 'duration' = 'number',
): FlagSpec {
  const value = DEFAULT_LIMITS[limit];
  return { name, kind, default: kind === 'duration' ? formatDuration(value) : String(value), help, limit };
}
