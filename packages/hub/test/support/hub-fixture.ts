import { createHub, type Hub, type HubOptions } from '@tidings/hub';

/** A hub listening on a free loopback port, for tests. */
export interface HubFixture {
  readonly hub: Hub;
  readonly port: number;
  /** http://127.0.0.1:<port>/.well-known/mercure */
  readonly url: string;
  /** Publishes a form; resolves with the response (status, body text). */
  publish(
    fields: Record<string, string | string[]> | string,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    body: string;
    headers: Headers;
  }>;
  close(): Promise<void>;
}

export async function startHub(options: HubOptions = {}): Promise<HubFixture> {
  const hub = await createHub({
    heartbeatMs: 0,
    ...options,
    limits: { publishRatePerSecond: 0, ...options.limits },
  });
  const { port } = await hub.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/.well-known/mercure`;
  return {
    hub,
    port,
    url,
    async publish(fields, headers = {}) {
      const body = typeof fields === 'string' ? fields : formBody(fields);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
      // Not res.text(): it drops a leading U+FEFF, and an id may start with one.
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
      return { status: res.status, body: text, headers: res.headers };
    },
    close: () => hub.close(),
  };
}

export function formBody(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}
