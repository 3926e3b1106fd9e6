/**
 * `npm run bench:replay [-- --updates 6000 --topics 20 --back 300 --runs 15]`: what a resume costs
 * the history store, reading by topic (store.ts `HistoryFilter`) or not. Fills an LMDB store in a
 * temporary directory (and a memory store, for comparison) with updates spread over topics, then
 * times, as the hub pages history (`replayPageSize` per read, the caller filtering again):
 *   (a) the whole history unfiltered, from `earliest`: a resume whose id has left history, today;
 *   (b) the same read filtered on one topic;
 *   (c) a resume from `--back` updates ago, unfiltered then filtered;
 *   (d) the whole history filtered on every topic: the merge's worst case (it returns everything).
 * Runs are interleaved and repeated; it prints medians and each figure's ratio to (a), measured in
 * the same process (machines are noisy: compare ratios, not milliseconds). docs/benchmark.md
 * ("History reads by topic") has the last figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createUpdate,
  DEFAULT_LIMITS,
  type HistoryFilter,
  type HistoryStore,
  LmdbStore,
  MemoryStore,
  type Update,
} from '@tidings/hub';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '6000' },
    topics: { type: 'string', default: '20' },
    back: { type: 'string', default: '300' },
    runs: { type: 'string', default: '15' },
    page: { type: 'string', default: String(DEFAULT_LIMITS.replayPageSize) },
  },
});
const UPDATES = Number(values.updates);
const TOPICS = Number(values.topics);
const BACK = Number(values.back);
const RUNS = Number(values.runs);
const PAGE = Number(values.page);
const WARMUP = 3;

const topic = (k: number) => `https://example.com/bench/replay/${k}`;

function history(): Update[] {
  return Array.from({ length: UPDATES }, (_, i) =>
    createUpdate({
      topics: [topic(i % TOPICS), 'https://example.com/bench/replay/{id}'],
      data: JSON.stringify({ seq: i, text: 'x'.repeat(160) }),
      private: false,
      id: `urn:bench:replay:${i}`,
    }),
  );
}

/** Pages through history as the hub's replay does; returns how many updates the subscriber gets. */
async function replay(store: HistoryStore, afterId: string, wanted: string, filter?: HistoryFilter) {
  let delivered = 0;
  let read = 0;
  let cursor = afterId;
  for (;;) {
    const page = await store.readAfter(cursor, PAGE, filter);
    if (!page.found) throw new Error(`${cursor} not found`);
    for (const u of page.updates) {
      read++;
      if (u.topics.includes(wanted)) {
        delivered++;
        // What the hub writes: the frame is built on first use (stream/update-frame.ts fromRecord).
        if (u.chunk.length === 0) throw new Error('empty frame');
      }
    }
    if (!page.more) return { delivered, read };
    cursor = page.updates[page.updates.length - 1]!.id;
  }
}

interface Case {
  readonly name: string;
  readonly run: () => Promise<{ delivered: number; read: number }>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function measure(label: string, store: HistoryStore, updates: readonly Update[]): Promise<void> {
  const wanted = topic(7);
  const filter: HistoryFilter = { topics: new Set([wanted]) };
  const every: HistoryFilter = { topics: new Set(Array.from({ length: TOPICS }, (_, k) => topic(k))) };
  const resumeFrom = updates[updates.length - BACK - 1]!.id;
  const cases: Case[] = [
    { name: '(a) whole history, unfiltered', run: () => replay(store, 'earliest', wanted) },
    { name: '(b) whole history, filtered', run: () => replay(store, 'earliest', wanted, filter) },
    { name: `(c) resume ${BACK} back, unfiltered`, run: () => replay(store, resumeFrom, wanted) },
    { name: `(c) resume ${BACK} back, filtered`, run: () => replay(store, resumeFrom, wanted, filter) },
    { name: `(d) whole history, all ${TOPICS} topics`, run: () => replay(store, 'earliest', wanted, every) },
  ];
  const times = cases.map(() => [] as number[]);
  const counts = cases.map(() => ({ delivered: 0, read: 0 }));
  for (let r = 0; r < WARMUP + RUNS; r++) {
    // Interleaved, and in a rotating order, so a burst of noise hits every case.
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length;
      const start = process.hrtime.bigint();
      counts[i] = await cases[i]!.run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (r >= WARMUP) times[i]!.push(ms);
    }
  }
  const base = median(times[0]!);
  const resumeBase = median(times[2]!);
  console.log(
    `\n${label}: ${UPDATES} updates over ${TOPICS} topics, pages of ${PAGE}, median of ${RUNS} runs`,
  );
  console.log(
    `${'case'.padEnd(34)} ${'read'.padStart(6)} ${'kept'.padStart(6)} ${'median ms'.padStart(10)} ${'/ (a)'.padStart(8)} ${'/ unfiltered'.padStart(13)}`,
  );
  cases.forEach((c, i) => {
    const m = median(times[i]!);
    const pair = i === 3 ? m / resumeBase : i === 2 ? 1 : m / base;
    console.log(
      `${c.name.padEnd(34)} ${String(counts[i]!.read).padStart(6)} ${String(counts[i]!.delivered).padStart(6)} ${m.toFixed(3).padStart(10)} ${(m / base).toFixed(3).padStart(8)} ${pair.toFixed(3).padStart(13)}`,
    );
  });
  // The same subscriber gets the same updates whichever way history is read.
  for (const [i, j] of [
    [0, 1],
    [2, 3],
    [0, 4],
  ] as const) {
    if (counts[i]!.delivered !== counts[j]!.delivered)
      throw new Error(`${cases[j]!.name}: delivered ${counts[j]!.delivered}, not ${counts[i]!.delivered}`);
  }
}

async function main(): Promise<void> {
  const updates = history();
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
  const dir = mkdtempSync(join(tmpdir(), 'tidings-bench-replay-'));
  try {
    const lmdb = new LmdbStore({ dir, maxCount: UPDATES });
    // Appends issued together share group commits: filling takes a few syncs, not thousands.
    for (let i = 0; i < updates.length; i += 500)
      await Promise.all(updates.slice(i, i + 500).map((u) => lmdb.append(u)));
    await measure('LmdbStore', lmdb, updates);
    await lmdb.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const memory = new MemoryStore({ size: UPDATES });
  for (const u of updates) await memory.append(u);
  await measure('MemoryStore', memory, updates);
  await memory.close();
}

await main();
