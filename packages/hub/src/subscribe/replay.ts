import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Subscriber } from '../broker/subscriber.js';
import type { HubContext } from '../hub-context.js';
import type { Update } from '../model/update.js';
import type { DisconnectSignal, Release } from '../ops/replay-gate.js';
import type { Selector } from '../selector/selector.js';
import type { HistoryFilter, HistoryRead } from '../store/store.js';

/** How long replayed ids are remembered to skip a late live copy (ms). */
const REPLAY_GRACE_MS = 30_000;
/** Replayed events are written in batches of about this many bytes. */
const REPLAY_WRITE_BYTES = 64 * 1024;

/**
 * A resume's permission to replay now (its slot at the replay gate): given back while its client
 * drains, taken again after.
 */
export interface ReplayPermit {
  slot: Release | undefined;
  readonly disconnect: DisconnectSignal;
}

/**
 * When every selector is an exact topic (the common case), history is read by topic: the store
 * may skip other topics' updates (store/store.ts `HistoryFilter`), so a resume costs in
 * proportion to what it replays, not to the whole history. Patterns read everything.
 */
export function historyFilter(selectors: readonly Selector[]): HistoryFilter | undefined {
  for (const s of selectors) if (!s.exact || s.wildcard) return undefined;
  return { topics: new Set(selectors.map((s) => s.raw)) };
}

/**
 * Writes history from `first` on, then the live updates held meanwhile that were not replayed
 * (`Subscriber.release`): the seam between replay and live has no gap and no duplicate. The slot
 * goes back once history is written: held updates are in memory already.
 */
export async function replay(
  ctx: HubContext,
  sub: Subscriber,
  first: HistoryRead,
  filter: HistoryFilter | undefined,
  permit: ReplayPermit,
): Promise<void> {
  let sent: Set<string> | undefined;
  try {
    sent = await replayHistory(ctx, sub, first, filter, permit);
  } finally {
    permit.slot?.();
  }
  if (sent !== undefined) await sub.release(sent, REPLAY_GRACE_MS);
}

/**
 * Waits until the sink may be written again. A client that reads slowly gives its replay slot
 * back while its transport drains (it must not keep others waiting for up to the write timeout),
 * and waits its turn again after. False when the sink ended meanwhile.
 */
async function writable(ctx: HubContext, sub: Subscriber, permit: ReplayPermit): Promise<boolean> {
  const { sink } = sub;
  if (sink.blocked) {
    permit.slot?.();
    permit.slot = undefined;
    await sink.whenWritable();
    if (sink.closed) return false;
    // Already admitted: it takes a place in the queue whatever its length.
    permit.slot = await ctx.replays.acquire(permit.disconnect, true);
  }
  return !sink.closed && permit.slot !== undefined;
}

/** Writes history from `first` on; resolves with the ids written, or undefined once the sink is gone. */
async function replayHistory(
  ctx: HubContext,
  sub: Subscriber,
  first: HistoryRead,
  filter: HistoryFilter | undefined,
  permit: ReplayPermit,
): Promise<Set<string> | undefined> {
  const { sink } = sub;
  const { framing } = sink;
  const sent = new Set<string>();
  let page: HistoryRead = first;
  let budget = ctx.limits.maxReplay;
  // Replayed events go out in writes of about REPLAY_WRITE_BYTES (one syscall, not one per
  // event), each waiting for the previous one to drain: a page can be larger than the queue
  // bound, and writing it at once would drop a resuming subscriber as a slow consumer, again on
  // every reconnect.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return !sink.closed;
    const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    if (!sink.write(bytes)) return false;
    return writable(ctx, sub, permit);
  };
  const add = (u: Update): void => {
    const bytes = framing.event(u);
    batch.push(bytes);
    batchBytes += bytes.length;
    ctx.metrics.replayedEvents++;
  };
  // A conflated subscriber (maximum rate) is replayed the latest update of each topic only, in
  // history order, at the end (broker/conflation.ts: never an older value after a newer one).
  const latest = sub.conflated ? new Map<string, Update>() : undefined;
  for (;;) {
    let last: string | undefined;
    for (const u of page.updates) {
      last = u.id;
      if (budget-- <= 0) break;
      // Replay applies the same rules as live: routing, and private only with a grant.
      if (!sub.wants(u) || !sub.canRead(u)) continue;
      sent.add(u.id);
      if (latest !== undefined) {
        // Superseded ones count as replayed: a held live copy of one must not follow its successor.
        latest.delete(u.topics[0]!);
        latest.set(u.topics[0]!, u);
        continue;
      }
      add(u);
      if (batchBytes >= REPLAY_WRITE_BYTES && !(await flush())) return undefined;
    }
    if (!(await flush())) return undefined;
    if (!page.more || last === undefined || budget <= 0) break;
    // One page per turn of the event loop: live delivery, other replays and /metrics run between.
    await nextTurn();
    if (sink.closed) return undefined;
    try {
      page = await ctx.engine.history.readAfter(last, ctx.limits.replayPageSize, filter);
    } catch {
      sink.close('error');
      return undefined;
    }
  }
  if (latest !== undefined) {
    for (const u of latest.values()) {
      add(u);
      if (batchBytes >= REPLAY_WRITE_BYTES && !(await flush())) return undefined;
    }
    if (!(await flush())) return undefined;
  }
  return sent;
}
