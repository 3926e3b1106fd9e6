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
};

const USAGE = `npm run soak -- [--minutes N] [--subscribers N] [--rate N] [--topics N] [--history N] [--padding BYTES]
  [--sample SECONDS] [--max-queue-bytes N] [--max-queue-events N] [--write-timeout D] [--max-lifetime D]
  [--retry D] [--mix honest,slow,silent,churn] [--results-dir DIR] [--no-build]
  [--inject-loss]  (self-test: one subscriber ignores one update; the run must fail)`;

/** Parses `--name value` / `--name=value` flags over the defaults. */
export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const o: { -readonly [K in keyof SoakOptions]: SoakOptions[K] } = { ...DEFAULTS };
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
  return o;
}
