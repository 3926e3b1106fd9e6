/**
 * Reads the hub's Prometheus text. A series that is not there is an error, never 0: a test that
 * asserts on a name or label the hub never emits must fail, not read a zero. (The hub exports its
 * labelled counters at 0 for every label value it knows, so "none yet" reads 0 honestly.)
 */
export async function metric(baseUrl: string, name: string, labels = ''): Promise<number> {
  const samples = await family(baseUrl, name);
  const v = samples.get(labels);
  if (v === undefined) {
    const present = [...samples.keys()].map((l) => `${name}${l}`).join(', ') || 'none';
    throw new Error(`metric series ${name}${labels} is not exported (series of ${name}: ${present})`);
  }
  return v;
}

/**
 * Every sample of one metric family, by label set (`''` for an unlabelled sample). Throws when
 * the family is not declared at all (`# TYPE name ...`): a misspelt name is an error.
 */
export async function family(baseUrl: string, name: string): Promise<Map<string, number>> {
  const res = await fetch(new URL('/metrics', baseUrl));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  const lines = text.split('\n');
  if (!lines.some((l) => l.startsWith(`# TYPE ${name} `)))
    throw new Error(`metric family ${name} is not exported`);
  const samples = new Map<string, number>();
  for (const line of lines) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const m = /^(\{[^}]*\})? (\S+)$/.exec(rest);
    if (m === null) continue; // another family whose name starts with this one
    samples.set(m[1] ?? '', Number(m[2]));
  }
  return samples;
}

/**
 * Polls `metric` until `ok` holds and returns that value; throws (naming the last value) when
 * it has not held within `timeoutMs`. A waiting helper that returned silently would let a test
 * go on as if the condition had been met.
 */
export async function waitForMetric(
  baseUrl: string,
  name: string,
  labels: string,
  ok: (v: number) => boolean,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await metric(baseUrl, name, labels);
    if (ok(v)) return v;
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting on ${name}${labels}: last read ${v}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
