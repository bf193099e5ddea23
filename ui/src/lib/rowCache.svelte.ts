// The preview's rows, fetched from Rust a page at a time as they come into view (see
// `gitlab_onboard_app::users::store` for why the window does not hold all 100,000).
import type { MappingRow, RowFilter, RowPage } from './types';

/** Fetches `count` rows from `start` among those matching `filter`. */
export type FetchRows = (filter: RowFilter, start: number, count: number) => Promise<RowPage>;

/** Pages of rows for one filter; a new filter or a rebuild starts afresh. */
export class RowCache {
  /** Loaded pages by number. Replaced, never mutated, so the rows stay plain objects. */
  pages = $state.raw<Record<number, MappingRow[]>>({});
  /** How many rows match the filter. */
  total = $state(0);

  #fetch: FetchRows;
  #onError: (e: unknown) => void;
  #pageSize: number;
  #filter: RowFilter = { status: 'all', source: null, search: '' };
  #epoch = 0;
  #requested = new Set<number>();
  #range: [number, number] = [0, 0];

  constructor(fetch: FetchRows, onError: (e: unknown) => void, pageSize = 100) {
    this.#fetch = fetch;
    this.#onError = onError;
    this.#pageSize = pageSize;
  }

  /** The row at `index`, if its page is loaded. */
  rowAt(index: number): MappingRow | undefined {
    return this.pages[Math.floor(index / this.#pageSize)]?.[index % this.#pageSize];
  }

  /** Forgets every row and loads the first page for `filter`. */
  reset(filter: RowFilter): Promise<void> {
    this.#filter = filter;
    this.#epoch += 1;
    this.#requested.clear();
    this.pages = {};
    return this.#load(0);
  }

  /** The rows `[start, end)` are about to show: loads their pages. */
  show(start: number, end: number): void {
    this.#range = [start, end];
    for (const p of this.#pagesOf(start, end)) void this.#load(p);
  }

  /** After an edit: reloads the pages on screen (others on their next showing), keeping the
   *  rows there until the fresh ones arrive. */
  refresh(): Promise<void> {
    this.#epoch += 1;
    this.#requested.clear();
    const [start, end] = this.#range;
    return Promise.all(this.#pagesOf(start, Math.max(end, start + 1)).map((p) => this.#load(p))).then(() => {});
  }

  #pagesOf(start: number, end: number): number[] {
    const pages: number[] = [];
    for (let p = Math.floor(start / this.#pageSize); p * this.#pageSize < end; p++) pages.push(p);
    return pages;
  }

  async #load(page: number): Promise<void> {
    if (this.#requested.has(page)) return;
    this.#requested.add(page);
    const epoch = this.#epoch;
    try {
      const answer = await this.#fetch(this.#filter, page * this.#pageSize, this.#pageSize);
      if (epoch !== this.#epoch) return;
      this.total = answer.total;
      this.pages = { ...this.pages, [page]: answer.rows };
    } catch (e) {
      if (epoch === this.#epoch) this.#requested.delete(page);
      this.#onError(e);
    }
  }
}
