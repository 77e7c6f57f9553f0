import type { D1Database } from './d1-types';

const LEASE_KEY = 'commission_batch_lease';
/** Longer than a scheduled invocation may run (15 minutes wall clock): a crashed holder's lease lapses. */
export const LEASE_MS = 15 * 60 * 1000;

/**
 * One commission batch at a time across isolates. On Node one process owns the store and
 * runs one batch at a time; on Workers a run that outlasts the minute overlaps the next cron
 * trigger in another isolate, and two runs at different asOfs could leave statuses of both.
 * The lease is a settings row taken with one conditional upsert: free, or older than LEASE_MS.
 */
export async function withBatchLease<T>(d1: D1Database, now: Date, work: () => Promise<T>): Promise<T | undefined> {
  const holder = `${now.toISOString()} ${crypto.randomUUID()}`;
  const stale = new Date(now.getTime() - LEASE_MS).toISOString();
  const taken = await d1
    .prepare(
      `INSERT INTO settings (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value < ?`,
    )
    .bind(LEASE_KEY, holder, stale)
    .run();
  if (taken.meta.changes !== 1) return undefined;
  try {
    return await work();
  } finally {
    await d1.prepare('DELETE FROM settings WHERE key = ? AND value = ?').bind(LEASE_KEY, holder).run();
  }
}
