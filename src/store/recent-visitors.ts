import { UNIQUE_CLICK_WINDOW_MS } from './click-recorder';
import { VisitorTable } from './visitor-table';

/** What the store answers for the unique clicks the memory does not hold. */
export interface UniqueClickStore {
  /** A unique click of this visitor on this link at a time in (sinceMs, untilMs], read from the clicks. */
  storedBetween(linkId: number, visitorHash: string, sinceMs: number, untilMs: number): boolean;
  /** The newest unique click of this visitor on this link that memory spilled is after `sinceMs`. */
  spilledSince(linkId: number, visitorHash: string, sinceMs: number): boolean;
  /** Keeps a pair memory lets go of while its hour is still open, in the transaction of the current group. */
  spill(linkId: number, visitorHash: string, atMs: number): void;
  /** Empties the spilled pairs: every one of them is older than any window still open. */
  clearSpilled(): void;
}

/**
 * 4M pairs, an hour of 1,100 new visitors a second, in at most ~150 MiB off the heap (35–53
 * bytes a pair, visitor-table.ts); the arrays grow with the traffic, so a quiet server holds
 * little. Past it the oldest pairs spill to the store.
 */
export const DEFAULT_MAX_REMEMBERED = 4_000_000;

/**
 * Decides the unique flag (P13) so that the redirect neither reads nor writes an index by visitor
 * for each click: such an index puts every first click at a random place in a B-tree, which cost
 * a WAL page per click. A visitor counts as unique on a link once per window, from the click that
 * was counted: a repeat inside the window is not unique and does not extend it (as Dub's one-hour
 * dedup key does).
 *
 * It remembers, per (link, visitor), the newest unique click, and keeps the invariant: every
 * committed unique click with a time after `horizonMs` is either remembered or spilled.
 * - It starts with the store's last hour of unique clicks (`remember`), read through the index
 *   of unique clicks by time, which grows at its end; the horizon starts where that hour begins.
 * - Pairs whose hour has passed are forgotten, and the horizon moves up to their time. Only a
 *   click whose window reaches back past the horizon (the clock stepped back) reads the clicks
 *   between its window's start and the horizon.
 * - Past `maxEntries`, the oldest pair is spilled to the store instead (a table by pair, read
 *   only while some spilled pair's hour is still open, emptied once none is).
 * So the store stays the truth, provided this process is the only one recording live clicks
 * into it (the server owns its SQLite file).
 *
 * Decisions made inside a group that then fails to commit are taken back with `undo`.
 */
export class RecentVisitors {
  /** (link, visitor) → newest unique click time, with the decisions in order (visitor-table.ts). */
  private readonly pairs: VisitorTable;
  /** The newest time of a pair spilled to the store; -Infinity when none was spilled since the table was last emptied. */
  private spilledUntilMs = -Infinity;

  constructor(
    private readonly store: UniqueClickStore,
    /** Unique clicks up to this time are in the store only; -Infinity when memory holds them all. */
    private horizonMs: number,
    private readonly maxEntries = DEFAULT_MAX_REMEMBERED,
  ) {
    // Room for the entries a pair leaves behind when set again (a clock step, an undo), so that
    // the ring is rebuilt rarely at the limit.
    this.pairs = new VisitorTable(maxEntries + Math.max(1024, maxEntries >> 3));
  }

  /** Bytes the pairs hold now (off the JavaScript heap). */
  get bytes(): number {
    return this.pairs.bytes;
  }

  /** Takes a unique click already in the store, oldest first: how memory is filled at start. */
  remember(linkId: number, visitorHash: string, clickedAtMs: number): void {
    this.pairs.set(linkId, visitorHash, clickedAtMs);
    if (this.pairs.size > this.maxEntries) this.spillOldest([]);
  }

  /**
   * Whether this click is unique; if so it is remembered, and what to take back if its group
   * fails is added to `undo`. A repeat changes nothing to take back.
   */
  decide(linkId: number, visitorHash: string, clickedAtMs: number, isBot: boolean, undo: Undo[]): boolean {
    // Bots are never unique and do not make a later human click a repeat.
    if (isBot) return false;
    const sinceMs = clickedAtMs - UNIQUE_CLICK_WINDOW_MS;
    this.forgetBefore(sinceMs);
    const previous = this.pairs.get(linkId, visitorHash);
    if (previous !== undefined && previous > sinceMs) return false;
    if (this.spilledUntilMs > sinceMs) {
      if (this.store.spilledSince(linkId, this.pairs.canonical(visitorHash), sinceMs)) return false;
    } else if (this.spilledUntilMs !== -Infinity) {
      this.store.clearSpilled();
      this.spilledUntilMs = -Infinity;
    }
    if (this.horizonMs > sinceMs && this.store.storedBetween(linkId, visitorHash, sinceMs, this.horizonMs)) return false;
    this.pairs.set(linkId, visitorHash, clickedAtMs);
    undo.push({ linkId, visitorHash, restore: previous });
    if (this.pairs.size > this.maxEntries) this.spillOldest(undo);
    return true;
  }

  /**
   * Takes back decisions and spills, newest first, so that clicks that were never committed are
   * not remembered and pairs whose spill was rolled back are remembered again. A restored time
   * goes to the back of the queue: its first entry may have been dropped.
   */
  undo(entries: readonly Undo[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const { linkId, visitorHash, restore } = entries[i]!;
      if (restore === undefined) this.pairs.delete(linkId, visitorHash);
      else this.pairs.set(linkId, visitorHash, restore);
    }
  }

  private forgetBefore(sinceMs: number): void {
    for (;;) {
      const oldest = this.pairs.oldestTime();
      if (oldest === undefined || oldest > sinceMs) return;
      if (this.pairs.shift() && oldest > this.horizonMs) this.horizonMs = oldest;
    }
  }

  /** Moves the oldest remembered pair to the store; only called past maxEntries, so one is in the queue. */
  private spillOldest(undo: Undo[]): void {
    while (!this.pairs.shift()) {
      // A dead entry: its pair was set again later or taken back.
    }
    const { lastLinkId: linkId, lastTime: at } = this.pairs;
    const visitorHash = this.pairs.lastVisitor();
    this.store.spill(linkId, visitorHash, at);
    undo.push({ linkId, visitorHash, restore: at });
    if (at > this.spilledUntilMs) this.spilledUntilMs = at;
  }
}

/** Sets a pair back to the time it had before a decision or spill (`undefined`: not remembered). */
export interface Undo {
  linkId: number;
  visitorHash: string;
  restore: number | undefined;
}
