import { AuthThrottle } from './auth-throttle';

/** Sign-up requests one client address may send per hour. */
export const SIGNUP_PER_ADDRESS_PER_HOUR = 10;
/** Sign-up requests for one email address per hour: its owner's inbox is not ours to flood. */
export const SIGNUP_PER_EMAIL_PER_HOUR = 3;

/**
 * The door of public sign-up: requests are counted per client address and per email address
 * in fixed hourly windows (the same fixed-window counter as the key throttle, here counting
 * every request, not failures). In memory per process (per isolate on Workers), bounded.
 * Used by the API route and the sign-up page alike, so the form is no way around it.
 */
export class SignupGate {
  private readonly byAddress = new AuthThrottle({ limit: SIGNUP_PER_ADDRESS_PER_HOUR, windowMs: 3600_000 });
  private readonly byEmail = new AuthThrottle({ limit: SIGNUP_PER_EMAIL_PER_HOUR, windowMs: 3600_000 });

  /** Seconds to wait when either count is spent; otherwise counts this request and returns undefined. */
  admit(address: string, email: string, nowMs: number): number | undefined {
    const waits = [this.byAddress.retryAfterSeconds(address, nowMs), this.byEmail.retryAfterSeconds(email, nowMs)];
    const wait = waits.filter((w): w is number => w !== undefined);
    if (wait.length > 0) return Math.max(...wait);
    this.byAddress.failed(address, nowMs);
    this.byEmail.failed(email, nowMs);
    return undefined;
  }
}
