import { CLOSED, CONNECTING, Connection, type ConnectionSink, OPEN } from './connection.js';
import { CursorStore } from './cursor-store.js';
import type { ParsedEvent } from './event-stream-parser.js';
import type { TidingsEventSourceInit } from './options.js';
import { canShare, TabShare } from './tab-share.js';

type Handler = ((this: TidingsEventSource, ev: Event) => unknown) | null;
type MessageHandler = ((this: TidingsEventSource, ev: MessageEvent<string>) => unknown) | null;

/**
 * The WHATWG `EventSource` interface (HTML "Server-sent events" §9.2.2 "The EventSource
 * interface") on fetch streaming, with headers, backoff, a cursor kept across reloads, a `gap`
 * event, and one stream shared by all tabs of the origin that open the same URL.
 */
export class TidingsEventSource extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSED = CLOSED;
  readonly url: string;
  readonly withCredentials: boolean;
  readyState: number = CONNECTING;
  /** The last event ID string: where a new connection resumes. */
  lastEventId: string;
  readonly #init: TidingsEventSourceInit;
  readonly #cursor: CursorStore;
  #transport: { close(): void } | undefined;
  readonly #handlers = new Map<string, EventListener>();
  readonly #visibility = () => {
    if (document.hidden) this.#stop();
    else if (this.#transport === undefined && this.readyState !== CLOSED) this.#start();
  };

  constructor(url: string | URL, init: TidingsEventSourceInit = {}) {
    super();
    // §9.2.2 constructor: "Let urlRecord be the result of encoding-parsing a URL given url,
    // relative to settings. If urlRecord is failure, then throw a SyntaxError DOMException."
    try {
      this.url = new URL(url, globalThis.location?.href).href;
    } catch {
      throw new DOMException(`Invalid URL: ${url}`, 'SyntaxError');
    }
    this.withCredentials = init.withCredentials === true;
    this.#init = init;
    this.#cursor = new CursorStore(this.url, init.cursor ?? 'session');
    this.lastEventId = this.#cursor.read() || (init.lastEventId ?? '');
    if (init.pauseWhenHidden && typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', this.#visibility);
      if (document.hidden) return;
    }
    this.#start();
  }

  get onopen(): Handler {
    return this.#handler('open');
  }
  set onopen(f: Handler) {
    this.#setHandler('open', f);
  }
  get onmessage(): MessageHandler {
    return this.#handler('message');
  }
  set onmessage(f: MessageHandler) {
    this.#setHandler('message', f);
  }
  get onerror(): Handler {
    return this.#handler('error');
  }
  set onerror(f: Handler) {
    this.#setHandler('error', f);
  }
  /** History did not reach back to the cursor: updates were missed, reload the state. */
  get ongap(): Handler {
    return this.#handler('gap');
  }
  set ongap(f: Handler) {
    this.#setHandler('gap', f);
  }

  /** §9.2.2: "abort any instances of the fetch algorithm started for this EventSource object, and ... set the readyState attribute to CLOSED." */
  close(): void {
    this.readyState = CLOSED;
    this.#stop();
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.#visibility);
  }

  #start(): void {
    const i = this.#init;
    const options = {
      url: this.url,
      withCredentials: this.withCredentials,
      headers: i.headers,
      retry: i.retry ?? 3000,
      maxRetry: i.maxRetry ?? 30_000,
      healthyAfter: i.healthyAfter ?? 10_000,
      refreshBeforeExpiry: i.refreshBeforeExpiry ?? 30_000,
      fallbackAfter: i.fallbackAfter ?? 20_000,
      pollWait: i.pollWait ?? 25,
      fetch: i.fetch ?? ((input, init) => fetch(input, init)),
    };
    const connect = (lastEventId: string, sink: ConnectionSink) => new Connection(options, lastEventId, sink);
    const sink: ConnectionSink = {
      open: (origin) => this.#open(origin),
      event: (e, origin) => this.#event(e, origin),
      error: (closed) => this.#error(closed),
      gap: () => this.#fire(new Event('gap')),
    };
    if (i.share !== false && canShare()) {
      const key = `${this.withCredentials ? 'c' : 'a'} ${this.url}`;
      const params = new URL(this.url).searchParams;
      const wantsHistory = params.has('lastEventID') || params.has('last_event_id');
      this.#transport = new TabShare(
        key,
        this.lastEventId,
        wantsHistory,
        i.shareHistory ?? 100,
        connect,
        sink,
      );
    } else {
      this.#transport = connect(this.lastEventId, sink);
    }
  }

  #stop(): void {
    this.#transport?.close();
    this.#transport = undefined;
  }

  #open(origin: string): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.origin = origin;
    this.#fire(new Event('open'));
  }

  /** §9.2.6 "dispatch the event", steps 4 to 7, for a block the parser (here or in the leader tab) read. */
  #event(e: ParsedEvent, origin: string): void {
    if (this.readyState === CLOSED) return;
    if (e.lastEventId !== this.lastEventId) {
      this.lastEventId = e.lastEventId;
      this.#cursor.write(e.lastEventId);
    }
    if (e.data === undefined) return;
    this.#fire(new MessageEvent(e.type, { data: e.data, origin, lastEventId: e.lastEventId }));
  }

  #error(closed: boolean): void {
    if (this.readyState === CLOSED) return;
    this.readyState = closed ? CLOSED : CONNECTING;
    if (closed) this.close();
    this.#fire(new Event('error'));
  }

  /** The origin of the stream's final URL (after redirects), as on each MessageEvent. */
  origin = '';

  #fire(ev: Event): void {
    this.dispatchEvent(ev);
  }

  #handler<T>(type: string): T {
    return ((this.#handlers.get(type) as { f?: T } | undefined)?.f ?? null) as T;
  }

  /** Event handler IDL attributes: one listener per type, in the place of its first setting. */
  #setHandler(type: string, f: Handler | MessageHandler): void {
    const old = this.#handlers.get(type);
    if (old) this.removeEventListener(type, old);
    if (typeof f !== 'function') {
      this.#handlers.delete(type);
      return;
    }
    const listener = Object.assign((ev: Event) => (f as (ev: Event) => unknown).call(this, ev), { f });
    this.#handlers.set(type, listener);
    this.addEventListener(type, listener);
  }
}
