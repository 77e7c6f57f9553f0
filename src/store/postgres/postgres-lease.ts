import type { Pool } from 'pg';

/** pg_advisory_lock keys of the leases; the first number is the migrations' and units of work's. */
export const LEASES = { batch: [0x636c6b6c, 3] } as const satisfies Record<string, readonly [number, number]>;

/**
 * Runs `work` only if no other instance holds the lease, else returns undefined at once. The
 * lease is a session advisory lock on a connection kept for the run: it is released when the
 * run ends, and by PostgreSQL itself when the holder dies (its connection closes), so a killed
 * instance never keeps it.
 */
export async function withLease<T>(pool: Pool, key: readonly [number, number], work: () => Promise<T>): Promise<T | undefined> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The connection sits idle while the work runs: its loss is an 'error' event, not a rejection.
  const lost = (error: Error) => (broken = error);
  client.on('error', lost);
  try {
    const taken = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS taken', [...key]);
    if (!taken.rows[0]?.taken) return undefined;
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...key]).catch((error: Error) => (broken = error));
    }
  } finally {
    client.off('error', lost);
    // A connection that could not unlock still holds the lease: dropping it releases it.
    client.release(broken);
  }
}
