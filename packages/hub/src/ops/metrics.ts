/**
 * Counters and gauges in the Prometheus text exposition format (version 0.0.4). Hand-written:
 * a handful of numbers incremented on the hot path, no label explosion.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { H2_GOAWAY_CODES } from '../errors.js';
import type { CloseReason, Sink } from '../stream/sink.js';

/**
 * The reasons a hub closes a stream (`CloseReason` but `client`, which is not a drop), exported
 * at 0 from the start: a known label value reads 0 before its first event, not "absent", so a
 * reader can treat an absent series as an error (Prometheus naming practice: initialise the
 * label values you know).
 */
const DROP_REASONS: Record<Exclude<CloseReason, 'client'>, true> = {
  slow_consumer: true,
  write_timeout: true,
  lifetime: true,
  token_expired: true,
  shutdown: true,
  error: true,
};

/** ms between event-loop delay samples. */
const LOOP_RESOLUTION_MS = 20;

export class Metrics {
  /** Event-loop delay, sampled every 20 ms: the first sign of an overloaded hub. */
  readonly #loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  publishes = 0;
  deliveries = 0;
  replayHits = 0;
  replayMisses = 0;
  replayedEvents = 0;
  subscriptionsOpened = 0;
  readonly dropped = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** HTTP/2 connections ended for the work they caused, by GOAWAY debug code (errors.ts H2_GOAWAY_CODES). */
  readonly h2Goaways = new Map<string, number>();

  constructor() {
    for (const reason of Object.keys(DROP_REASONS)) this.dropped.set(reason, 0);
    for (const code of Object.keys(H2_GOAWAY_CODES)) this.h2Goaways.set(code, 0);
    this.#loop.enable();
  }

  close(): void {
    this.#loop.disable();
  }

  drop(reason: string): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  h2Goaway(code: string): void {
    this.h2Goaways.set(code, (this.h2Goaways.get(code) ?? 0) + 1);
  }

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  render(gauges: {
    subscribers: number;
    topics: number;
    ready: boolean;
    replays: { active: number; waiting: number; refused: number };
    /** Every open subscription's sink: counted by the protocol it runs on. */
    sinks: Iterable<{ readonly sink: Sink }>;
    h2Sessions: number;
    /** Conflations shared by subscribers of one maximum rate (broker/conflation.ts). */
    sharedConflations: number;
  }): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
    };
    const labelled = (label: string, m: Map<string, number>): [string, number][] =>
      [...m].map(([k, v]) => [`{${label}="${k}"}`, v]);
    metric('tidings_subscribers', 'gauge', 'Open subscriber streams.', [['', gauges.subscribers]]);
    // Known protocols read 0 before their first stream (see DROP_REASONS).
    const streams = new Map<string, number>([
      ['http/1.1', 0],
      ['h2', 0],
    ]);
    for (const { sink } of gauges.sinks) {
      const protocol = sink.protocol ?? 'other';
      streams.set(protocol, (streams.get(protocol) ?? 0) + 1);
    }
    metric(
      'tidings_streams',
      'gauge',
      'Open subscriber streams by the protocol they run on (http/1.1, http/1.0, h2, other).',
      labelled('protocol', streams),
    );
    metric('tidings_h2_sessions', 'gauge', 'Open HTTP/2 connections (h2 and h2c).', [
      ['', gauges.h2Sessions],
    ]);
    metric(
      'tidings_h2_goaways_total',
      'counter',
      'HTTP/2 connections closed with GOAWAY ENHANCE_YOUR_CALM, by reason (docs/errors.md).',
      labelled('reason', this.h2Goaways),
    );
    metric('tidings_topics', 'gauge', 'Distinct selectors subscribed to.', [['', gauges.topics]]);
    metric(
      'tidings_shared_conflations',
      'gauge',
      'Conflations shared by the streams of one maximum rate, selectors and read rights.',
      [['', gauges.sharedConflations]],
    );
    metric('tidings_ready', 'gauge', '1 when the hub accepts publishes.', [['', gauges.ready ? 1 : 0]]);
    metric('tidings_publishes_total', 'counter', 'Updates published and acknowledged.', [
      ['', this.publishes],
    ]);
    metric('tidings_deliveries_total', 'counter', 'Updates written to subscribers, live.', [
      ['', this.deliveries],
    ]);
    metric('tidings_replayed_events_total', 'counter', 'Updates written to subscribers from history.', [
      ['', this.replayedEvents],
    ]);
    metric('tidings_replay_hits_total', 'counter', 'Resumes whose Last-Event-ID was found.', [
      ['', this.replayHits],
    ]);
    metric('tidings_replay_misses_total', 'counter', 'Resumes whose Last-Event-ID was unknown.', [
      ['', this.replayMisses],
    ]);
    metric('tidings_replays_active', 'gauge', 'Resumes replaying history now.', [
      ['', gauges.replays.active],
    ]);
    metric('tidings_replays_waiting', 'gauge', 'Resumes waiting for a replay slot.', [
      ['', gauges.replays.waiting],
    ]);
    metric('tidings_replays_refused_total', 'counter', 'Resumes refused: the replay queue was full.', [
      ['', gauges.replays.refused],
    ]);
    metric('tidings_subscriptions_opened_total', 'counter', 'Subscriber streams opened.', [
      ['', this.subscriptionsOpened],
    ]);
    metric(
      'tidings_dropped_subscribers_total',
      'counter',
      'Streams closed by the hub, by reason.',
      labelled('reason', this.dropped),
    );
    metric('tidings_http_errors_total', 'counter', 'Error answers, by code.', labelled('code', this.errors));
    const mem = process.memoryUsage();
    metric('tidings_process_resident_memory_bytes', 'gauge', 'Resident set size.', [['', mem.rss]]);
    metric('tidings_process_heap_used_bytes', 'gauge', 'V8 heap in use.', [['', mem.heapUsed]]);
    // The histogram records whole timer intervals (an idle loop reads 20 ms): the delay is the excess.
    const delay = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) / 1e3;
    metric('tidings_event_loop_delay_seconds', 'gauge', 'Event-loop delay since the last scrape.', [
      ['{quantile="0.5"}', delay(this.#loop.percentile(50))],
      ['{quantile="0.99"}', delay(this.#loop.percentile(99))],
      ['{quantile="1"}', delay(this.#loop.max)],
    ]);
    this.#loop.reset();
    return `${lines.join('\n')}\n`;
  }
}
