import WebSocket from 'ws';
import type { Answer } from './expect-problem.js';
import type { HubFixture } from './hub-fixture.js';
import { SseReader } from './sse-reader.js';

/** An update as every transport's client reports it. */
export interface TransportEvent {
  readonly id: string;
  readonly type?: string;
  readonly data: string;
}

/** An open subscription, whatever carries it. */
export interface Subscribed {
  readonly events: TransportEvent[];
  /** Where the hub said it continues from (`Mercure-Last-Event-ID`); undefined when not resuming. */
  readonly continueFrom: string | undefined;
  /** Resolves with the events before the one with this id, once it arrived; rejects after a deadline. */
  waitForId(id: string, timeoutMs?: number): Promise<TransportEvent[]>;
  /** How the hub ended the subscription, as text; rejects if it has not ended within the deadline. */
  endedWithin(timeoutMs?: number): Promise<string>;
  close(): void;
}

/** A transport as the contract suite drives it (support/transport-contract.ts). */
export interface TransportUnderTest {
  readonly name: string;
  /** How `endedWithin` describes the end at the token's `exp`. */
  readonly expiredEnd: RegExp;
  /** Subscribes with this query; resolves once the hub accepted it, rejects when refused. */
  open(fx: HubFixture, query: string, headers?: Record<string, string>): Promise<Subscribed>;
  /** A subscribe the hub refuses: its answer (status, headers, problem). */
  refusal(fx: HubFixture, query: string, headers?: Record<string, string>): Promise<Answer>;
}

/** Events as they arrive, waits on them, and the end. */
class EventLog {
  readonly events: TransportEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #end: string | undefined;
  readonly #ends = new Set<(how: string) => void>();

  add(event: TransportEvent): void {
    this.events.push(event);
    for (const w of this.#waiters) w();
  }

  end(how: string): void {
    if (this.#end !== undefined) return;
    this.#end = how;
    for (const e of this.#ends) e(how);
  }

  waitForId(id: string, timeoutMs = 15_000): Promise<TransportEvent[]> {
    const index = () => this.events.findIndex((e) => e.id === id);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (index() < 0) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(this.events.slice(0, index()));
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${id}, got ${this.events.map((e) => e.id).join(', ')}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  endedWithin(timeoutMs = 15_000): Promise<string> {
    if (this.#end !== undefined) return Promise.resolve(this.#end);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ends.delete(done);
        reject(new Error(`the subscription did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (how: string) => {
        clearTimeout(timer);
        resolve(how);
      };
      this.#ends.add(done);
    });
  }
}

function event(id: string, type: string | undefined, data: string): TransportEvent {
  return type === undefined || type === '' || type === 'message' ? { id, data } : { id, type, data };
}

/** Server-sent events over fetch (the reference transport). */
export const SSE: TransportUnderTest = {
  name: 'sse',
  expiredEnd: /^clean$/,
  async open(fx, query, headers = {}) {
    const reader = await SseReader.open(`${fx.url}?${query}`, headers);
    if (reader.response.status !== 200) {
      reader.close();
      throw new Error(`refused: ${reader.response.status}`);
    }
    const mapped = (list: typeof reader.events) => list.map((e) => event(e.id ?? '', e.event, e.data));
    return {
      get events() {
        return mapped(reader.events);
      },
      continueFrom: reader.response.headers.get('mercure-last-event-id') ?? undefined,
      waitForId: async (id, timeoutMs) => mapped(await reader.waitForId(id, timeoutMs)),
      endedWithin: async (timeoutMs) => (await reader.endedWithin(timeoutMs)).kind,
      close: () => reader.close(),
    };
  },
  async refusal(fx, query, headers = {}) {
    const res = await fetch(`${fx.url}?${query}`, { headers: { Accept: 'text/event-stream', ...headers } });
    return { status: res.status, headers: res.headers, body: await res.text() };
  },
};

/** WebSocket with the `ws` client: one JSON text message per update. */
export const WEBSOCKET: TransportUnderTest = {
  name: 'websocket',
  expiredEnd: /^close 4001 token_expired$/,
  open(fx, query, headers = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${fx.port}/.well-known/mercure?${query}`, { headers });
    const log = new EventLog();
    let continueFrom: string | undefined;
    let first = true;
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { id?: string; type?: string; data?: string };
      // A resume's first message says where the hub continues from; every other one is an update.
      if (first && m.id === undefined && 'last_event_id' in m) {
        first = false;
        if (m.last_event_id !== continueFrom) log.end(`first message ${String(m.last_event_id)} != header`);
        return;
      }
      first = false;
      log.add(event(m.id!, m.type, m.data!));
    });
    ws.on('close', (code, reason) => log.end(`close ${code} ${reason.toString()}`));
    return new Promise((resolve, reject) => {
      ws.on('upgrade', (res) => {
        continueFrom = (res.headers['mercure-last-event-id'] as string | undefined) ?? undefined;
      });
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`refused: ${res.statusCode}`));
      });
      ws.on('error', reject);
      ws.on('open', () =>
        resolve(
          Object.assign(log, {
            get continueFrom() {
              return continueFrom === undefined ? undefined : decodeURIComponent(continueFrom);
            },
            close: () => ws.terminate(),
          }),
        ),
      );
    });
  },
  refusal(fx, query, headers = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${fx.port}/.well-known/mercure?${query}`, { headers });
    return new Promise((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers as Record<string, string>,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      ws.on('error', () => {});
      ws.on('open', () => {
        ws.terminate();
        reject(new Error('the WebSocket was accepted'));
      });
    });
  },
};

/** Long polls from the cursor, after a first poll that answers at once. */
export const POLL: TransportUnderTest = {
  name: 'poll',
  expiredEnd: /^refused 401 invalid_token$/,
  async open(fx, query, headers = {}) {
    const log = new EventLog();
    const abort = new AbortController();
    const params = new URLSearchParams(query);
    const poll = async (wait: number) => {
      const url = `${fx.url}?${params}${wait > 0 ? `&wait=${wait}` : ''}`;
      const res = await fetch(url, {
        headers: { Accept: 'application/json', ...headers },
        signal: abort.signal,
      });
      const text = await res.text();
      if (res.status !== 200) return { res, text, answer: undefined };
      const answer = JSON.parse(text) as { events: TransportEvent[]; last_event_id: string };
      for (const e of answer.events) log.add(event(e.id, e.type, e.data));
      params.set('last_event_id', answer.last_event_id);
      return { res, text, answer };
    };
    const first = await poll(0);
    if (first.answer === undefined) throw new Error(`refused: ${first.res.status}`);
    const continueFrom = first.res.headers.get('mercure-last-event-id') ?? undefined;
    (async () => {
      for (;;) {
        const { res, text, answer } = await poll(10);
        if (answer === undefined) {
          log.end(`refused ${res.status} ${(JSON.parse(text) as { code: string }).code}`);
          return;
        }
      }
    })().catch((err: unknown) => log.end(abort.signal.aborted ? 'closed' : `failed ${String(err)}`));
    return Object.assign(log, {
      continueFrom: continueFrom === undefined ? undefined : decodeURIComponent(continueFrom),
      close: () => abort.abort(),
    });
  },
  async refusal(fx, query, headers = {}) {
    const res = await fetch(`${fx.url}?${query}`, { headers: { Accept: 'application/json', ...headers } });
    return { status: res.status, headers: res.headers, body: await res.text() };
  },
};
