import { UNIQUE_CLICK_WINDOW_MS } from './click-recorder';

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

/** ~120 bytes each: 1M pairs is ~120 MiB, an hour of 280 new visitors a second. */
export const DEFAULT_MAX_REMEMBERED = 1_000_000;

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
  /** key → newest unique click time (ms). */
  private readonly newest = new Map<string, number>();
  /**
   * Every remembered (key, time) in the order it was decided, oldest first; an entry whose key
   * has since moved to a newer time is skipped when it comes up. The Map's own order is not used
   * for this: V8 leaves a deleted Map entry in place until the table is rebuilt, so finding the
   * oldest live entry by iterating from the front walks every entry forgotten before it. With
   * traffic older than an hour leaving at the front that cost ~45 µs per click at 200k visitors.
   */
  private readonly orderKeys: string[] = [];
  /** Times beside their keys, not in objects: a number array stores doubles unboxed (~24 bytes less per pair). */
  private readonly orderTimes: number[] = [];
  private orderHead = 0;
  /** The newest time of a pair spilled to the store; -Infinity when none was spilled since the table was last emptied. */
  private spilledUntilMs = -Infinity;

  constructor(
    private readonly store: UniqueClickStore,
    /** Unique clicks up to this time are in the store only; -Infinity when memory holds them all. */
    private horizonMs: number,
    private readonly maxEntries = DEFAULT_MAX_REMEMBERED,
  ) {}

  /** Takes a unique click already in the store, oldest first: how memory is filled at start. */
  remember(linkId: number, visitorHash: string, clickedAtMs: number): void {
    const key = `${linkId} ${visitorHash}`;
    this.newest.set(key, clickedAtMs);
    this.enqueue(key, clickedAtMs);
    if (this.newest.size > this.maxEntries) this.spillOldest([]);
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
    const key = `${linkId} ${visitorHash}`;
    const previous = this.newest.get(key);
    if (previous !== undefined && previous > sinceMs) return false;
    if (this.spilledUntilMs > sinceMs) {
      if (this.store.spilledSince(linkId, visitorHash, sinceMs)) return false;
    } else if (this.spilledUntilMs !== -Infinity) {
      this.store.clearSpilled();
      this.spilledUntilMs = -Infinity;
    }
    if (this.horizonMs > sinceMs && this.store.storedBetween(linkId, visitorHash, sinceMs, this.horizonMs)) return false;
    this.newest.set(key, clickedAtMs);
    this.enqueue(key, clickedAtMs);
    undo.push({ key, restore: previous });
    if (this.newest.size > this.maxEntries) this.spillOldest(undo);
    return true;
  }

  /**
   * Takes back decisions and spills, newest first, so that clicks that were never committed are
   * not remembered and pairs whose spill was rolled back are remembered again. A restored time
   * goes back in the queue: its first entry may have been dropped.
   */
  undo(entries: readonly Undo[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const { key, restore } = entries[i]!;
      if (restore === undefined) this.newest.delete(key);
      else {
        this.newest.set(key, restore);
        this.enqueue(key, restore);
      }
    }
  }

  private enqueue(key: string, at: number): void {
    this.orderKeys.push(key);
    this.orderTimes.push(at);
  }

  private forgetBefore(sinceMs: number): void {
    while (this.orderHead < this.orderTimes.length && this.orderTimes[this.orderHead]! <= sinceMs) {
      const key = this.orderKeys[this.orderHead]!;
      const at = this.orderTimes[this.orderHead++]!;
      if (this.newest.get(key) !== at) continue;
      this.newest.delete(key);
      if (at > this.horizonMs) this.horizonMs = at;
    }
    this.compactOrder();
  }

  /** Moves the oldest remembered pair to the store; only called past maxEntries, so one is in the queue. */
  private spillOldest(undo: Undo[]): void {
    for (;;) {
      const key = this.orderKeys[this.orderHead]!;
      const at = this.orderTimes[this.orderHead++]!;
      if (this.newest.get(key) !== at) continue;
      const space = key.indexOf(' ');
      this.store.spill(Number(key.slice(0, space)), key.slice(space + 1), at);
      this.newest.delete(key);
      undo.push({ key, restore: at });
      if (at > this.spilledUntilMs) this.spilledUntilMs = at;
      break;
    }
    this.compactOrder();
  }

  private compactOrder(): void {
    if (this.orderHead > 1024 && this.orderHead * 2 > this.orderTimes.length) {
      this.orderKeys.splice(0, this.orderHead);
      this.orderTimes.splice(0, this.orderHead);
      this.orderHead = 0;
    }
  }
}

/** Sets a pair back to the time it had before a decision or spill (`undefined`: not remembered). */
export interface Undo {
  key: string;
  restore: number | undefined;
}
