import type { Selectable } from 'kysely';
import { parseId } from '../domain/ids';
import { webhookSecretKey } from '../domain/webhook-signature';
import type { ProgramTable } from '../store/database';
import type { AppDeps } from '../core/deps';
import { TtlCache } from './ttl-cache';

export interface IntakeProgram {
  program: Selectable<ProgramTable>;
  /** The merchant's webhook secrets as key bytes, each with the moment it stops verifying. */
  secrets: { key: Uint8Array; expiresAt: string | null }[];
  /** The program's SKU → category catalogue (empty when the merchant has none). */
  catalog: ReadonlyMap<string, string>;
  /** Every key, when none of them expires (no rotation under way): nothing to check per event. */
  keysWithoutExpiry?: Uint8Array[];
}

const TTL_MS = 5_000;

/**
 * Programs, their merchants' webhook secrets and their catalogues for order intake, cached for a few seconds:
 * every signed event needs both, and reading and decoding them per request cost as much as
 * storing the event. Changes made through this process (a rotation, a program update) clear the
 * cache at once; expiry of a rotated-out secret is checked against the clock on every use.
 */
export class IntakePrograms {
  private readonly cache = new TtlCache<number, IntakeProgram | null>(TTL_MS, 10_000, (id) => this.load(id));

  constructor(private readonly deps: Pick<AppDeps, 'db'>) {}

  invalidate(): void {
    this.cache.clear();
  }

  async get(programIdText: unknown, nowMs: number): Promise<IntakeProgram | null> {
    const programId = typeof programIdText === 'string' ? parseId('program', programIdText) : undefined;
    return programId === undefined ? null : this.cache.get(programId, nowMs);
  }

  private async load(programId: number): Promise<IntakeProgram | null> {
    const program = await this.deps.db.selectFrom('programs').selectAll().where('id', '=', programId).executeTakeFirst();
    if (!program) return null;
    const rows = await this.deps.db
      .selectFrom('webhook_secrets')
      .select(['secret', 'expires_at'])
      .where('merchant_id', '=', program.merchant_id)
      .execute();
    const secrets = rows.flatMap((r) => {
      const key = webhookSecretKey(r.secret);
      return key ? [{ key, expiresAt: r.expires_at }] : [];
    });
    const items = await this.deps.db
      .selectFrom('catalog_items')
      .select(['sku', 'category'])
      .where('program_id', '=', programId)
      .execute();
    return {
      program,
      secrets,
      catalog: new Map(items.map((i) => [i.sku, i.category])),
      ...(secrets.every((s) => s.expiresAt === null) ? { keysWithoutExpiry: secrets.map((s) => s.key) } : {}),
    };
  }
}

/** The keys that verify at `now`. */
export function activeKeys(intake: IntakeProgram, now: Date): Uint8Array[] {
  if (intake.keysWithoutExpiry) return intake.keysWithoutExpiry;
  const iso = now.toISOString();
  return intake.secrets.filter((s) => s.expiresAt === null || s.expiresAt > iso).map((s) => s.key);
}
