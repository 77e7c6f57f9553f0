/**
 * A small read-through cache with a time to live, for the lookups on the hot paths (a link code
 * for the redirect, a program and its secrets for order intake). Bounded: it empties itself
 * when full rather than growing.
 */
export class TtlCache<K, V> {
  private entries = new Map<K, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly load: (key: K) => Promise<V>,
  ) {}

  clear(): void {
    this.entries.clear();
  }

  async get(key: K, nowMs: number): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > nowMs) return hit.value;
    const value = await this.load(key);
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expires: nowMs + this.ttlMs });
    return value;
  }
}
