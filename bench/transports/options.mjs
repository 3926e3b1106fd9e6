// Options of `npm run bench:transports`. The default run: 1,000 subscribers per transport, six
// transports, one fresh hub each; phases at 0.1, 1 and 10 updates per second, each with a 5 s
// lead-in (at least one 5 s poll interval: the previous phase's updates drain and the clients
// reach the new rate's steady state) then a measured window of 50, 15 and 8 s: five updates at
// 0.1/s (so even the slowest rate averages over several updates and ten 5 s polls per client),
// 15 at 1/s, 80 at 10/s. About 100 s per transport with connecting and the final drain: 10 minutes.
import { TRANSPORT_NAMES } from './catalogue.mjs';

export const HELP = `npm run bench:transports -- [options]
  --quick              N = 100, rates 1 and 10 per second, 2 s lead-in, 4 and 3 s windows (about 2 min)
  --n N                subscribers per transport (default 1000)
  --transports a,b     of ${TRANSPORT_NAMES.join(', ')} (default all)
  --rates R,R          updates per second, one phase each (default 0.1,1,10)
  --windows S,S        measured seconds of each phase (default 50,15,8)
  --lead S             seconds at each phase's rate before its window (default 5)
  --together           every transport's clients against one hub at once (a smoke test of the
                       harness: hub CPU is then shared, not per transport)
  --out-dir DIR        where transports.json and the charts go (default bench/results)
  --no-build           do not run npx tsc -b first
Environment: BENCH_HUB_FROM_SOURCE=1 runs the hub from its TypeScript sources (tsx), as tests do;
BENCH_NO_PIN=1, BENCH_SERVER_CPU, BENCH_LOADGEN_CPU as for npm run bench (docs/benchmark.md).`;

export function parseOptions(argv) {
  const quick = argv.includes('--quick');
  const o = {
    quick,
    n: quick ? 100 : 1000,
    transports: TRANSPORT_NAMES,
    rates: quick ? [1, 10] : [0.1, 1, 10],
    windows: quick ? [4, 3] : [50, 15, 8],
    leadS: quick ? 2 : 5,
    together: false,
    outDir: null,
    build: true,
  };
  const nums = (v) => v.split(',').map(Number);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--quick') continue;
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else if (a === '--n') o.n = Number(v());
    else if (a === '--transports') o.transports = v().split(',');
    else if (a === '--rates') o.rates = nums(v());
    else if (a === '--windows') o.windows = nums(v());
    else if (a === '--lead') o.leadS = Number(v());
    else if (a === '--together') o.together = true;
    else if (a === '--out-dir') o.outDir = v();
    else if (a === '--no-build') o.build = false;
    else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  for (const t of o.transports) if (!TRANSPORT_NAMES.includes(t)) throw new Error(`unknown transport ${t}`);
  if (o.windows.length !== o.rates.length) throw new Error('--windows needs one value per rate');
  if (![o.n, o.leadS, ...o.rates, ...o.windows].every((x) => Number.isFinite(x) && x > 0))
    throw new Error('--n, --lead, --rates and --windows must be positive numbers');
  o.phases = o.rates.map((rate, i) => ({ rate, leadS: o.leadS, windowS: o.windows[i] }));
  return o;
}
