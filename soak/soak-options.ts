/** What one soak run does: every knob has a default sized for this repository's CI machine (2 CPUs). */
export interface SoakOptions {
  /** Publishing time, in minutes (fractions allowed: 0.5 = 30 s). */
  readonly minutes: number;
  /** Subscribers in total; split by `mix`. */
  readonly subscribers: number;
  /** Shares of honest, slow, never-reading and constantly reconnecting subscribers (sum 1). */
  readonly mix: {
    readonly honest: number;
    readonly slow: number;
    readonly silent: number;
    readonly churn: number;
  };
  /** Publishes per second, all topics together. */
  readonly rate: number;
  /** Topics; each has its own sequence and one publish in flight at a time (so order is known). */
  readonly topics: number;
  /** Updates kept in history (`--history-size`); default: 30 s of publishing, so it fills early in the run. */
  readonly history: number;
  /** Bytes of padding in each update's data. */
  readonly padding: number;
  /** Seconds between samples. */
  readonly sampleSeconds: number;
  /** Hub limits raised or lowered for the run. */
  readonly maxQueueBytes: number;
  readonly maxQueueEvents: number;
  readonly writeTimeout: string;
  readonly maxLifetime: string;
  readonly retry: string;
  /** Where the JSON summary goes. */
  readonly resultsDir: string;
  /** Run `tsc -b` first so the CLI runs the current sources. */
  readonly build: boolean;
  /** Self-test of the checks: one honest subscriber ignores one update, so the run must fail. */
  readonly injectLoss: boolean;
  /** The hub's `--lifetime-jitter` (0 to 1); undefined leaves the hub's default. */
  readonly lifetimeJitter: number | undefined;
  /** Flags appended to the hub's command line as given (after the soak's own: the last one wins). */
  readonly hubArgs: readonly string[];
  /** Faults: SIGSTOP the hub `at` seconds into publishing, SIGCONT `seconds` later; in time order. */
  readonly pauses: readonly HubPauseSpec[];
  /** After a pause, the hub has recovered once live delivery p99 over a window is at most this (ms)... */
  readonly recoveredP99Ms: number;
  /** ...and it must have recovered within this many seconds of SIGCONT. */
  readonly recoverWithinSeconds: number;
}

export interface HubPauseSpec {
  /** Seconds after publishing started. */
  readonly at: number;
  /** How long the hub stays stopped. */
  readonly seconds: number;
}

const DEFAULTS: SoakOptions = {
  minutes: 5,
  subscribers: 2000,
  mix: { honest: 0.8, slow: 0.05, silent: 0.05, churn: 0.1 },
  rate: 200,
  topics: 20,
  history: 0,
  padding: 1024,
  sampleSeconds: 5,
  maxQueueBytes: 128 * 1024,
  maxQueueEvents: 1000,
  writeTimeout: '2s',
  maxLifetime: '60s',
  retry: '1s',
  resultsDir: 'soak/results',
  build: true,
  injectLoss: false,
  lifetimeJitter: undefined,
  hubArgs: [],
  pauses: [],
  recoveredP99Ms: 500,
  recoverWithinSeconds: 60,
};

const USAGE = `npm run soak -- [--minutes N] [--subscribers N] [--rate N] [--topics N] [--history N] [--padding BYTES]
  [--sample SECONDS] [--max-queue-bytes N] [--max-queue-events N] [--write-timeout D] [--max-lifetime D]
  [--retry D] [--mix honest,slow,silent,churn] [--results-dir DIR] [--no-build]
  [--lifetime-jitter FRACTION] [--hub-arg=--FLAG=VALUE ...]
  [--pause-hub AT:SECONDS[,AT:SECONDS...] ...] [--recovered-p99 MS] [--recover-within SECONDS]
  [--inject-loss]  (self-test: one subscriber ignores one update; the run must fail)
--pause-hub: SIGSTOP the hub AT seconds into publishing, SIGCONT SECONDS later (repeatable); after
  each, the hub must recover (/metrics within 1 s, live p99 <= --recovered-p99, default 500 ms)
  within --recover-within seconds (default 60).
--hub-arg: one more argument for \`tidings serve\`, e.g. --hub-arg=--max-concurrent-replays=32 (repeatable).`;

/** Parses `--name value` / `--name=value` flags over the defaults. */
export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const o: { -readonly [K in keyof SoakOptions]: SoakOptions[K] } = { ...DEFAULTS };
  const hubArgs: string[] = [];
  const pauses: HubPauseSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'no-build') {
      o.build = false;
      continue;
    }
    if (name === 'inject-loss') {
      o.injectLoss = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new Error(`--${name} needs a value`);
    const num = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
      return n;
    };
    switch (name) {
      case 'minutes':
        o.minutes = num();
        break;
      case 'subscribers':
        o.subscribers = Math.round(num());
        break;
      case 'rate':
        o.rate = num();
        break;
      case 'topics':
        o.topics = Math.round(num());
        break;
      case 'history':
        o.history = Math.round(num());
        break;
      case 'padding':
        o.padding = Math.round(Number(value));
        break;
      case 'sample':
        o.sampleSeconds = num();
        break;
      case 'max-queue-bytes':
        o.maxQueueBytes = Math.round(num());
        break;
      case 'max-queue-events':
        o.maxQueueEvents = Math.round(num());
        break;
      case 'write-timeout':
        o.writeTimeout = value;
        break;
      case 'max-lifetime':
        o.maxLifetime = value;
        break;
      case 'retry':
        o.retry = value;
        break;
      case 'results-dir':
        o.resultsDir = value;
        break;
      case 'lifetime-jitter': {
        const n = Number(value);
        if (!(n >= 0 && n <= 1)) throw new Error('--lifetime-jitter must be a fraction from 0 to 1');
        o.lifetimeJitter = n;
        break;
      }
      case 'hub-arg':
        hubArgs.push(value);
        break;
      case 'pause-hub':
        for (const part of value.split(',')) pauses.push(parsePause(part));
        break;
      case 'recovered-p99':
        o.recoveredP99Ms = num();
        break;
      case 'recover-within':
        o.recoverWithinSeconds = num();
        break;
      case 'mix': {
        const parts = value.split(',').map(Number);
        const sum = parts.reduce((a, b) => a + b, 0);
        if (parts.length !== 4 || parts.some((p) => !(p >= 0)) || sum <= 0)
          throw new Error('--mix takes four non-negative shares: honest,slow,silent,churn');
        const [honest = 0, slow = 0, silent = 0, churn = 0] = parts.map((p) => p / sum);
        o.mix = { honest, slow, silent, churn };
        break;
      }
      default:
        throw new Error(`unknown flag --${name}\n${USAGE}`);
    }
  }
  if (o.history === 0) o.history = Math.round(o.rate * 30);
  o.hubArgs = hubArgs;
  o.pauses = pauses.sort((a, b) => a.at - b.at);
  const runSeconds = o.minutes * 60;
  for (const [i, p] of o.pauses.entries()) {
    // Recovery is judged on live deliveries: the hub must be running, and publishing, after each pause.
    if (p.at + p.seconds >= runSeconds)
      throw new Error(
        `--pause-hub ${p.at}:${p.seconds} does not end before publishing stops (${runSeconds} s)`,
      );
    const next = o.pauses[i + 1];
    if (next !== undefined && next.at < p.at + p.seconds)
      throw new Error(`--pause-hub ${next.at}:${next.seconds} starts while the hub is still stopped`);
  }
  return o;
}

/** `AT:SECONDS`, both in seconds (fractions allowed). */
function parsePause(text: string): HubPauseSpec {
  const m = /^\s*(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)\s*$/.exec(text);
  const at = Number(m?.[1]);
  const seconds = Number(m?.[2]);
  if (m === null || !(seconds > 0))
    throw new Error(`--pause-hub takes AT:SECONDS (seconds into publishing, then how long), got "${text}"`);
  return { at, seconds };
}
