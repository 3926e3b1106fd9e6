/** Reads one sample from the hub's Prometheus text; 0 when the series is absent (counters start absent). */
export async function metric(baseUrl: string, name: string, labels = ''): Promise<number> {
  const res = await fetch(new URL('/metrics', baseUrl));
  const text = await res.text();
  const series = `${name}${labels}`;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

/** Polls `metric` until `ok` holds or `timeoutMs` passes; returns the last value. */
export async function waitForMetric(
  baseUrl: string,
  name: string,
  labels: string,
  ok: (v: number) => boolean,
  timeoutMs = 3000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await metric(baseUrl, name, labels);
    if (ok(v) || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}
