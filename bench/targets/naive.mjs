// The naive Node baseline: bench/servers/naive.mjs (encode once, res.write to each subscriber).
import { fileURLToPath } from 'node:url';

/** Extra node flags for the server, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const nodeArgs = () => (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const SERVER = fileURLToPath(new URL('../servers/naive.mjs', import.meta.url));

export const naive = {
  name: 'naive',
  describe: 'Node http, encode once, res.write per subscriber',
  prepare: () => ({}),
  command: ({ host, port }) => ({
    cmd: process.execPath,
    args: [...nodeArgs(), SERVER, '--port', String(port), '--host', host],
  }),
  subscribePath: (topic) => `/.well-known/mercure?topic=${encodeURIComponent(topic)}`,
  publish: (topic) => ({
    path: '/.well-known/mercure',
    contentType: 'application/x-www-form-urlencoded',
    bodyPrefix: `topic=${encodeURIComponent(topic)}&data=`,
  }),
};
