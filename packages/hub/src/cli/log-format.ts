import { type Logger, pino } from 'pino';

/** How log records are written: `auto` is `pretty` on a terminal and `json` otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/** Where lines go: anything with `write(text)` (process.stdout by default) and, for `auto`, `isTTY`. */
export interface LogOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields pino adds to every record: not repeated on a human line. */
const PLUMBING = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'banner']);
/** Banner fields for machines only: the message says the URL, `store` says the transport. */
const BANNER_HIDDEN = new Set(['url', 'port', 'transport']);

/**
 * A logger for the CLI. JSON lines (pino's own, epoch-ms `time`) are for machines: log
 * collectors read them. A person at a terminal gets one line per record with the local time,
 * the level and the message, then the fields as key=value; a record marked `banner: true` (the
 * start banner) has its fields one per line instead.
 */
export function createLogger(level: string, format: LogFormat, out: LogOutput = process.stdout): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && out.isTTY === true);
  if (!pretty) return pino({ level }, { write: (line: string) => out.write(line) });
  return pino({ level }, { write: (line: string) => out.write(humanLine(line)) });
}

/** One pino JSON line as a human line (the JSON unchanged when it is not a record). */
export function humanLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof rec.time === 'number' ? localTime(new Date(rec.time)) : '';
  const level = LEVELS[rec.level as number] ?? String(rec.level);
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  const fields = Object.entries(rec).filter(([k]) => !PLUMBING.has(k));
  if (rec.banner === true) {
    const shown = fields.filter(([k]) => !BANNER_HIDDEN.has(k));
    const width = Math.max(0, ...shown.map(([k]) => k.length));
    const rows = shown.map(
      ([k, v]) => `             ${`${k}:`.padEnd(width + 2)}${typeof v === 'string' ? v : show(v)}`,
    );
    return `${[`${time} ${level} ${msg}`, ...rows].join('\n')}\n`;
  }
  const tail = fields.map(([k, v]) => `${k}=${show(v)}`).join(' ');
  return `${time} ${level} ${msg}${tail === '' ? '' : `  ${tail}`}\n`;
}

/** HH:MM:SS.mmm in the machine's time zone. */
function localTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function show(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) && !v.includes('://') ? JSON.stringify(v) : v;
  // pino serializes errors as { type, message, stack }: the message is what a person needs.
  if (typeof v === 'object' && v !== null && 'message' in v)
    return String((v as { message: unknown }).message);
  return JSON.stringify(v);
}
