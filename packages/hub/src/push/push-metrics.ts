/** Why a push was not delivered (`tidings_push_failed_total{reason}`). */
export const FAILED_REASONS = ['queue_full', 'attempts', 'refused', 'expired', 'shutdown'] as const;
/** Why a push subscription was removed (`tidings_push_removed_total{reason}`). */
export const REMOVED_REASONS = ['gone', 'token', 'expired', 'unsubscribed'] as const;
/** Why a matching push subscription got no push (`tidings_push_skipped_total{reason}`). */
export const SKIPPED_REASONS = ['online', 'forbidden'] as const;

/**
 * The push counters, in the Prometheus text format of /metrics (ops/metrics.ts). Every label
 * value is exported from the start, at 0.
 */
export class PushMetrics {
  sent = 0;
  attempts = 0;
  readonly failed = new Map<string, number>(FAILED_REASONS.map((r) => [r, 0]));
  readonly removed = new Map<string, number>(REMOVED_REASONS.map((r) => [r, 0]));
  readonly skipped = new Map<string, number>(SKIPPED_REASONS.map((r) => [r, 0]));

  fail(reason: (typeof FAILED_REASONS)[number]): void {
    this.failed.set(reason, (this.failed.get(reason) ?? 0) + 1);
  }

  remove(reason: (typeof REMOVED_REASONS)[number]): void {
    this.removed.set(reason, (this.removed.get(reason) ?? 0) + 1);
  }

  skip(reason: (typeof SKIPPED_REASONS)[number]): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  render(gauges: { queued: number; subscriptions: number; openBreakers: number }): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
    };
    const labelled = (m: Map<string, number>): [string, number][] =>
      [...m].map(([k, v]) => [`{reason="${k}"}`, v]);
    metric('tidings_push_sent_total', 'counter', 'Push messages a push service accepted.', [['', this.sent]]);
    metric('tidings_push_attempts_total', 'counter', 'Requests made to push services.', [
      ['', this.attempts],
    ]);
    metric(
      'tidings_push_failed_total',
      'counter',
      'Push messages given up, by reason.',
      labelled(this.failed),
    );
    metric(
      'tidings_push_removed_total',
      'counter',
      'Push subscriptions removed, by reason.',
      labelled(this.removed),
    );
    metric(
      'tidings_push_skipped_total',
      'counter',
      'Matching push subscriptions not pushed to, by reason.',
      labelled(this.skipped),
    );
    metric('tidings_push_queued', 'gauge', 'Push messages waiting, retrying or in flight.', [
      ['', gauges.queued],
    ]);
    metric('tidings_push_subscriptions', 'gauge', 'Push subscriptions kept (this store).', [
      ['', gauges.subscriptions],
    ]);
    metric('tidings_push_open_breakers', 'gauge', 'Push-service hosts whose circuit breaker is open.', [
      ['', gauges.openBreakers],
    ]);
    return `${lines.join('\n')}\n`;
  }
}
