import type { SubIds } from '../domain/sub-id';

/** A click as the redirect sees it, before the store decides whether it is the visitor's first. */
export interface ClickToRecord {
  clickId: string;
  linkId: number;
  programId: number;
  affiliateId: number;
  clickedAt: string;
  ipHash: string;
  visitorHash: string;
  userAgent: string;
  browser: string;
  os: string;
  device: string;
  isBot: boolean;
  country: string;
  refererHost: string;
  subIds: SubIds;
  /** Name of a paid-search click id on the tracking URL (gclid, msclkid, …), or null. */
  paidSearchParam: string | null;
}

/** A click repeated by the same visitor on the same link within this window is not unique (P13). */
export const UNIQUE_CLICK_WINDOW_MS = 60 * 60 * 1000;

/** A click's user agent, stored once each (migration 0011): the click row then holds its id. SQLite and D1 alike. */
export const INSERT_USER_AGENT = 'INSERT INTO user_agents (user_agent) VALUES (?) ON CONFLICT (user_agent) DO NOTHING';

/**
 * Records clicks durably. `record` resolves only once the click is committed (SQLite) or
 * durably enqueued (a Cloudflare Queue, written by its consumer), so the redirect that awaits
 * it never acknowledges a click that a crash could lose (P1).
 */
export interface ClickRecorder {
  /** `unique` is null when the store decides it later (the queue's consumer does, on Workers). */
  record(click: ClickToRecord): Promise<{ unique: boolean | null }>;
  /** Commits whatever is waiting; used on shutdown. */
  flush(): Promise<void>;
}
