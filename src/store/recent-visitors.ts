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
  /** key → newest unique click time (ms); Map order is update order, so the oldest come first. */
  private readonly newest = new Map<string, number>();
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
    this.newest.delete(key);
    this.newest.set(key, clickedAtMs);
    if (this.newest.size > this.maxEntries) this.forgetOldest();
    return { unique: true, undo: { key, previous } };
  }

  /** Takes back decisions, newest first, so that clicks that were never committed are not remembered. */
  undo(entries: readonly Undo[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const { key, previous } = entries[i]!;
      if (previous === undefined) this.newest.delete(key);
      else this.newest.set(key, previous);
    }
  }

  private forgetBefore(sinceMs: number): void {
    for (const [key, at] of this.newest) {
      if (at > sinceMs) return;
      this.newest.delete(key);
      if (at > this.horizonMs) this.horizonMs = at;
    }
  }

  private forgetOldest(): void {
    // Only called past maxEntries, so there is an oldest entry.
    const [key, at] = this.newest.entries().next().value!;
    this.newest.delete(key);
    if (at > this.horizonMs) this.horizonMs = at;
  }
}

export interface Undo {
  key: string;
  previous: number | undefined;
}
