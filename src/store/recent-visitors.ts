import { UNIQUE_CLICK_WINDOW_MS } from './click-recorder';

/** Asks the store whether this visitor has a unique click on this link newer than `sinceMs`. */
export type SeenSince = (linkId: number, visitorHash: string, sinceMs: number) => boolean;

const DEFAULT_MAX_ENTRIES = 200_000;

/**
 * Decides the unique flag (P13) from memory when it can, so the redirect does not read the
 * clicks index for every click. A visitor counts as unique on a link once per window, from the
 * click that was counted: a repeat inside the window is not unique and does not extend it (as
 * Dub's one-hour dedup key does). That is also what lets the store index only unique clicks.
 *
 * It remembers, per (link, visitor), the newest unique click recorded through it, and keeps the
 * invariant: every unique click with a time after `horizonMs` is remembered. Clicks that were in
 * the store before it started are covered by starting the horizon at the newest of them; entries
 * it forgets (too old to matter, or the map is full) move the horizon up to their time. When a
 * click's window reaches back past the horizon (the first hour after a restart, a clock stepped
 * back, after an overflow), the store answers instead. So the store stays the truth, provided
 * this process is the only one recording live clicks into it (the server owns its SQLite file).
 *
 * Decisions made inside a group that then fails to commit are taken back with `undo`.
 */
export class RecentVisitors {
  /** key → newest unique click time (ms). */
  private readonly newest = new Map<string, number>();
  /**
   * Every remembered (key, time) in the order it was decided, oldest first; an entry whose key
   * has since moved to a newer time is skipped when it comes up. The Map's own order is not used
   * for this: V8 leaves a deleted Map entry in place until the table is rebuilt, so finding the
   * oldest live entry by iterating from the front walks every entry forgotten before it. With
   * traffic older than an hour leaving at the front that cost ~45 µs per click at 200k visitors.
   */
  private readonly order: Remembered[] = [];
  private orderHead = 0;
  private horizonMs: number;

  constructor(
    private readonly seenSince: SeenSince,
    /** The newest click time already in the store when this starts; -Infinity when it is empty. */
    storedUntilMs: number,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {
    this.horizonMs = storedUntilMs;
  }

  /**
   * Whether this click is unique, and remembers it if so. A unique decision comes with an undo
   * entry for a group that must be rolled back; a repeat changes nothing to take back.
   */
  decide(linkId: number, visitorHash: string, clickedAtMs: number, isBot: boolean): { unique: boolean; undo?: Undo } {
    // Bots are never unique and do not make a later human click a repeat.
    if (isBot) return { unique: false };
    const sinceMs = clickedAtMs - UNIQUE_CLICK_WINDOW_MS;
    this.forgetBefore(sinceMs);
    const key = `${linkId} ${visitorHash}`;
    const previous = this.newest.get(key);
    if (previous !== undefined && previous > sinceMs) return { unique: false };
    if (this.horizonMs > sinceMs && this.seenSince(linkId, visitorHash, sinceMs)) return { unique: false };
    this.newest.set(key, clickedAtMs);
    this.order.push({ key, at: clickedAtMs });
    if (this.newest.size > this.maxEntries) this.forgetOldest();
    return { unique: true, undo: { key, previous } };
  }

  /**
   * Takes back decisions, newest first, so that clicks that were never committed are not
   * remembered. A restored time goes back in the queue: its first entry may have been dropped.
   */
  undo(entries: readonly Undo[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const { key, previous } = entries[i]!;
      if (previous === undefined) this.newest.delete(key);
      else {
        this.newest.set(key, previous);
        this.order.push({ key, at: previous });
      }
    }
  }

  private forgetBefore(sinceMs: number): void {
    while (this.orderHead < this.order.length && this.order[this.orderHead]!.at <= sinceMs) this.forgetNext();
    this.compactOrder();
  }

  private forgetOldest(): void {
    // Only called past maxEntries, so a live entry is in the queue.
    while (!this.forgetNext());
    this.compactOrder();
  }

  /** Drops the queue's oldest entry, and its key when that entry is still the key's time; true if so. */
  private forgetNext(): boolean {
    const { key, at } = this.order[this.orderHead++]!;
    if (this.newest.get(key) !== at) return false;
    this.newest.delete(key);
    if (at > this.horizonMs) this.horizonMs = at;
    return true;
  }

  private compactOrder(): void {
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}

export interface Undo {
  key: string;
  previous: number | undefined;
}

interface Remembered {
  key: string;
  at: number;
}
