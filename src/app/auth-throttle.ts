/**
 * Failed key authentications per client address, in fixed windows: after `limit` failures in one
 * window the address is refused without a key lookup until the window ends, so guessing keys
 * costs the guesser a window per `limit` tries and costs us nothing. State per isolate or
 * process, bounded: past `maxAddresses` the address least recently seen failing is forgotten,
 * so a flood from many addresses can cost memory only up to that bound.
 */
export interface AuthThrottleOptions {
  limit: number;
  windowMs: number;
  maxAddresses?: number;
}

interface Window {
  startedMs: number;
  failures: number;
}

export class AuthThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(options: AuthThrottleOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Seconds until `address` may try again, or undefined when it may try now. */
  retryAfterSeconds(address: string, nowMs: number): number | undefined {
    const window = this.windows.get(address);
    if (!window || window.failures < this.limit) return undefined;
    const endsMs = window.startedMs + this.windowMs;
    if (endsMs <= nowMs) return undefined;
    return Math.max(1, Math.ceil((endsMs - nowMs) / 1000));
  }

  failed(address: string, nowMs: number): void {
    const current = this.windows.get(address);
    // Deleted and set again: the Map's insertion order is then least recently failing first.
    this.windows.delete(address);
    const window = current && current.startedMs + this.windowMs > nowMs ? current : { startedMs: nowMs, failures: 0 };
    window.failures++;
    this.windows.set(address, window);
    if (this.windows.size > this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }

  /** Addresses currently remembered (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }
}
