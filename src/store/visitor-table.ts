/**
 * (link, visitor) → time, off the JavaScript heap: an open-addressing index over a ring of
 * entries kept in insertion order, all in typed arrays. The garbage collector never scans their
 * contents (a Map of a million string keys made every major collection walk a million objects:
 * the redirect's 300 ms tails in a big hour), and an entry costs 24 bytes in the ring plus 6–12
 * in the index, instead of ~450 bytes of strings, Map slots and queue cells.
 *
 * A visitor hash is 24 hex digits (12 bytes of keyed hash, track-click.ts) and is stored as its
 * three 32-bit words, so the table compares exactly what the store compares. Any other string (a
 * test's 'v-a') is stored as a 96-bit digest of it, and `visitorAt` answers that digest in hex.
 *
 * The ring is the queue of decisions, oldest first: the caller drops entries from its front as
 * their hour passes. An entry whose pair was set again or deleted stays in the ring, dead, until
 * it reaches the front or the ring is rebuilt: the index points only to each pair's newest entry.
 */
export class VisitorTable {
  /** Per ring entry: visitor words 0–2 and the link id. */
  private keys: Uint32Array;
  private times: Float64Array;
  /** Ring position + 1 of each pair's newest entry; 0 is an empty slot. Linear probing. */
  private index: Uint32Array;
  private mask: number;
  private head = 0;
  /** Entries in the ring, dead ones included. */
  private used = 0;
  /** Pairs in the index. */
  size = 0;
  /** The visitor of the last `find`, as three words. */
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;

  /** `maxEntries`: the ring never grows past it (the caller keeps `size` below it). */
  constructor(private readonly maxEntries: number) {
    const capacity = Math.min(4096, maxEntries);
    this.keys = new Uint32Array(capacity * 4);
    this.times = new Float64Array(capacity);
    this.index = new Uint32Array(indexSlots(capacity));
    this.mask = this.index.length - 1;
  }

  /** Bytes held in typed arrays now. */
  get bytes(): number {
    return this.keys.byteLength + this.times.byteLength + this.index.byteLength;
  }

  /** The newest time of (link, visitor), or undefined. */
  get(linkId: number, visitor: string): number | undefined {
    this.words(visitor);
    const at = this.index[this.probe(linkId)]!;
    return at === 0 ? undefined : this.times[at - 1];
  }

  /** Sets (link, visitor) to `atMs` as its newest entry, at the back of the ring. */
  set(linkId: number, visitor: string, atMs: number): void {
    this.words(visitor);
    this.setWords(linkId, atMs);
  }

  delete(linkId: number, visitor: string): void {
    this.words(visitor);
    const slot = this.probe(linkId);
    if (this.index[slot] !== 0) this.removeSlot(slot);
  }

  /** The time of the oldest entry in the ring, dead or alive; undefined when it is empty. */
  oldestTime(): number | undefined {
    return this.used === 0 ? undefined : this.times[this.head];
  }

  /**
   * Drops the oldest entry of the ring; if it was its pair's newest, the pair is deleted and
   * `true` returned, with the pair readable through `lastLinkId` and `lastVisitor()`.
   */
  shift(): boolean {
    const position = this.head;
    this.head = this.head + 1 === this.times.length ? 0 : this.head + 1;
    this.used--;
    const base = position * 4;
    this.w0 = this.keys[base]!;
    this.w1 = this.keys[base + 1]!;
    this.w2 = this.keys[base + 2]!;
    this.lastLinkId = this.keys[base + 3]!;
    this.lastTime = this.times[position]!;
    const slot = this.probe(this.lastLinkId);
    if (this.index[slot] !== position + 1) return false;
    this.removeSlot(slot);
    return true;
  }
  lastLinkId = 0;
  lastTime = 0;

  /** The visitor of the last `shift`, as the 24 hex digits the store holds. */
  lastVisitor(): string {
    return hex8(this.w0) + hex8(this.w1) + hex8(this.w2);
  }

  /** `visitor` as the store's key: itself when it is 24 hex digits, else the hex of its digest. */
  canonical(visitor: string): string {
    return this.words(visitor) ? visitor : hex8(this.w0) + hex8(this.w1) + hex8(this.w2);
  }

  private setWords(linkId: number, atMs: number): void {
    if (this.used === this.times.length) {
      const { w0, w1, w2 } = this;
      this.makeRoom();
      this.w0 = w0;
      this.w1 = w1;
      this.w2 = w2;
    }
    const slot = this.probe(linkId);
    let position = this.head + this.used;
    if (position >= this.times.length) position -= this.times.length;
    const base = position * 4;
    this.keys[base] = this.w0;
    this.keys[base + 1] = this.w1;
    this.keys[base + 2] = this.w2;
    this.keys[base + 3] = linkId;
    this.times[position] = atMs;
    this.used++;
    if (this.index[slot] === 0) this.size++;
    this.index[slot] = position + 1;
  }

  /** The slot holding (link, w0–w2), or the empty slot where it would go. */
  private probe(linkId: number): number {
    const { keys, index, mask } = this;
    let slot = home(this.w0, this.w1, this.w2, linkId) & mask;
    for (;;) {
      const at = index[slot]!;
      if (at === 0) return slot;
      const base = (at - 1) * 4;
      if (keys[base] === this.w0 && keys[base + 3] === linkId && keys[base + 1] === this.w1 && keys[base + 2] === this.w2) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Empties a slot and shifts back the run after it, so that probing needs no tombstones. */
  private removeSlot(slot: number): void {
    const { keys, index, mask } = this;
    this.size--;
    let hole = slot;
    let next = (hole + 1) & mask;
    for (;;) {
      const at = index[next]!;
      if (at === 0) break;
      const base = (at - 1) * 4;
      const ideal = home(keys[base]!, keys[base + 1]!, keys[base + 2]!, keys[base + 3]!) & mask;
      // Move it into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < ideal && ideal <= next : hole < ideal || ideal <= next;
      if (!stays) {
        index[hole] = at;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    index[hole] = 0;
  }

  /**
   * The ring is full: rebuilt with its live entries in order, 1.5× larger while below
   * `maxEntries` (dead entries alone, at the limit, are what a rebuild frees there).
   */
  private makeRoom(): void {
    const old = { keys: this.keys, times: this.times, index: this.index, head: this.head, used: this.used };
    const length = old.times.length;
    const capacity = Math.min(this.maxEntries, this.size * 2 > length ? Math.max(length + 1, Math.ceil(length * 1.5)) : length);
    if (capacity <= this.size) throw new Error('visitor table full: the caller must keep its size below maxEntries');
    this.keys = new Uint32Array(capacity * 4);
    this.times = new Float64Array(capacity);
    this.index = new Uint32Array(indexSlots(capacity));
    this.mask = this.index.length - 1;
    this.head = 0;
    this.used = 0;
    this.size = 0;
    // Old positions are checked against the old index: only each pair's newest entry is copied.
    const oldIndex = new OldIndex(old.keys, old.index);
    for (let i = 0; i < old.used; i++) {
      const position = (old.head + i) % length;
      const base = position * 4;
      if (!oldIndex.isNewest(position)) continue;
      this.w0 = old.keys[base]!;
      this.w1 = old.keys[base + 1]!;
      this.w2 = old.keys[base + 2]!;
      this.setWords(old.keys[base + 3]!, old.times[position]!);
    }
  }

  /** Loads `visitor` into w0–w2; true when it was 24 hex digits, false when digested. */
  private words(visitor: string): boolean {
    if (visitor.length === 24) {
      let w0 = 0;
      let w1 = 0;
      let w2 = 0;
      let ok = true;
      for (let i = 0; i < 24; i++) {
        const c = visitor.charCodeAt(i);
        const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
        if (digit < 0) {
          ok = false;
          break;
        }
        if (i < 8) w0 = (w0 << 4) | digit;
        else if (i < 16) w1 = (w1 << 4) | digit;
        else w2 = (w2 << 4) | digit;
      }
      if (ok) {
        this.w0 = w0 >>> 0;
        this.w1 = w1 >>> 0;
        this.w2 = w2 >>> 0;
        return true;
      }
    }
    this.w0 = digest(visitor, 0x811c9dc5);
    this.w1 = digest(visitor, 0x01000193);
    this.w2 = digest(visitor, 0x9e3779b9);
    return false;
  }
}

/** The old arrays during a rebuild, kept apart so the new index can be filled meanwhile. */
class OldIndex {
  private readonly mask: number;
  constructor(
    private readonly keys: Uint32Array,
    private readonly index: Uint32Array,
  ) {
    this.mask = index.length - 1;
  }
  isNewest(position: number): boolean {
    const { keys, index, mask } = this;
    const base = position * 4;
    let slot = home(keys[base]!, keys[base + 1]!, keys[base + 2]!, keys[base + 3]!) & mask;
    for (;;) {
      const at = index[slot]!;
      if (at === 0) return false;
      if (at === position + 1) return true;
      slot = (slot + 1) & mask;
    }
  }
}

/** At most 70 % full when the ring is (about half on average): linear probing stays short. */
function indexSlots(capacity: number): number {
  let slots = 1024;
  while (slots * 0.7 < capacity) slots *= 2;
  return slots;
}

/**
 * A slot's home from all of the pair: the words of a keyed hash are uniform, but a visitor string
 * that is not one (or a test's) may share its first word with many others.
 */
function home(w0: number, w1: number, w2: number, linkId: number): number {
  let h = w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(linkId, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x27d4eb2d);
  return (h ^ (h >>> 13)) >>> 0;
}

/** FNV-1a over the UTF-16 units, finished with murmur3's mix: for visitor strings that are not hex. */
function digest(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex8(word: number): string {
  return word.toString(16).padStart(8, '0');
}
