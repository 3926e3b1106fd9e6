/** Where the cursor (the last event ID) is kept between page loads. */
export type CursorStorage = 'session' | 'local' | false;

/**
 * The cursor of one URL in Web Storage: `sessionStorage` (per tab, survives a reload) or
 * `localStorage` (shared by the origin's tabs, survives a restart). Without Web Storage (Node,
 * storage disabled, quota full) the cursor lives in memory only.
 */
export class CursorStore {
  readonly #storage: Storage | undefined;
  readonly #key: string;

  constructor(url: string, where: CursorStorage) {
    this.#key = `tidings-cursor:${url}`;
    try {
      this.#storage = where === false ? undefined : where === 'local' ? localStorage : sessionStorage;
    } catch {
      this.#storage = undefined;
    }
  }

  read(): string {
    try {
      return this.#storage?.getItem(this.#key) ?? '';
    } catch {
      return '';
    }
  }

  write(id: string): void {
    try {
      this.#storage?.setItem(this.#key, id);
    } catch {
      // Full or disabled storage: the stream goes on, a reload just starts without a cursor.
    }
  }
}
