import { type CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import type { AppDeps } from '../core/deps';
import { AppError } from '../core/errors';
import type { Principal } from '../core/principal';
import { formatId, parseId } from '../domain/ids';
import type { Database } from '../store/database';

/**
 * The audit log (docs/operations.md): one append-only row per change made through the API or a
 * dashboard, with who, what, when and from where. Rows are written by the app's audit middleware
 * after a change succeeds, or by a use-case inside the change's own unit of work (adjustments).
 */
export interface AuditOrigin {
  /** The client's address as the runtime determines it (socket, CF-Connecting-IP, a trusted proxy). */
  clientAddress: string;
}

export interface AuditSummary {
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  principal: Principal;
  origin: AuditOrigin;
  /** The tenant whose object changed, when known; otherwise the acting merchant's. */
  merchantId?: number | null;
  action: string;
  objectType: string;
  objectId: string | null | RawBuilder<string>;
  summary: AuditSummary;
  at: string;
}

const SECRET_NAME = /secret|token|password|passphrase|credential|signature|key$/i;
const REDACTED = '[redacted]';
const MOST_SUMMARY_CHARS = 8_000;

/** A copy with every value under a secret-sounding name replaced: secrets never reach the log. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) out[name] = SECRET_NAME.test(name) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

function summaryText(summary: AuditSummary): string {
  const text = JSON.stringify(redact(summary));
  return text.length <= MOST_SUMMARY_CHARS ? text : JSON.stringify({ truncated: text.slice(0, MOST_SUMMARY_CHARS) });
}

/**
 * The INSERT of one audit row, for a unit of work (`deps.writes.commit`); `when` guards it like
 * the statements it audits, so a retry that writes nothing logs nothing. Its default is `1 = 1`,
 * not SQLite's `1`: PostgreSQL's WHERE takes only a boolean.
 */
export function auditInsert(
  db: Kysely<Database>,
  entry: AuditEntry,
  when: RawBuilder<boolean> = sql<boolean>`1 = 1`,
): CompiledQuery {
  const p = entry.principal;
  const merchantId = entry.merchantId ?? p.merchantId;
  return sql`INSERT INTO audit_log (at, actor_key_id, actor_role, merchant_id, affiliate_id, action, object_type, object_id,
      summary, client_address)
    SELECT ${entry.at}, ${p.keyId}, ${p.role}, ${merchantId}, ${p.affiliateId}, ${entry.action}, ${entry.objectType},
      ${entry.objectId}, ${summaryText(entry.summary)}, ${entry.origin.clientAddress}
    WHERE ${when}`.compile(db);
}

export async function recordAudit(deps: Pick<AppDeps, 'db'>, entry: AuditEntry): Promise<void> {
  await deps.db.executeQuery(auditInsert(deps.db, entry));
}

export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  objectType?: string | undefined;
  objectId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface AuditView {
  id: string;
  at: string;
  actor: { keyId: string | null; role: string; merchantId: string | null; affiliateId: string | null };
  action: string;
  objectType: string;
  objectId: string | null;
  summary: AuditSummary;
  clientAddress: string;
}

/**
 * Audit rows, newest first, a page at a time: `nextCursor` is the last row's id, and the next page
 * starts below it, so rows added meanwhile never shift a page. A merchant sees its tenant's rows;
 * finance and admin see all.
 */
export async function listAudit(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  q: AuditQuery,
): Promise<{ entries: AuditView[]; nextCursor: string | null }> {
  let query = deps.db.selectFrom('audit_log').selectAll();
  if (principal.role === 'merchant') query = query.where('merchant_id', '=', principal.merchantId!);
  else if (principal.role === 'affiliate') throw new AppError('forbidden', 'the audit log is for merchants, finance and admin');
  if (q.actor !== undefined) {
    const keyId = parseId('key', q.actor);
    if (keyId === undefined) throw new AppError('validation_failed', 'actor: must be a key id such as "key_3"');
    query = query.where('actor_key_id', '=', keyId);
  }
  if (q.action !== undefined) query = query.where('action', '=', q.action);
  if (q.objectType !== undefined) query = query.where('object_type', '=', q.objectType);
  if (q.objectId !== undefined) query = query.where('object_id', '=', q.objectId);
  if (q.from !== undefined) query = query.where('at', '>=', q.from);
  if (q.to !== undefined) query = query.where('at', '<=', q.to);
  if (q.cursor !== undefined) {
    const below = parseId('audit', q.cursor);
    if (below === undefined) throw new AppError('validation_failed', 'cursor: not a cursor this list gave');
    query = query.where('id', '<', below);
  }
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({
      id: formatId('audit', r.id),
      at: r.at,
      actor: {
        keyId: r.actor_key_id === null ? null : formatId('key', r.actor_key_id),
        role: r.actor_role,
        merchantId: r.merchant_id === null ? null : formatId('merchant', r.merchant_id),
        affiliateId: r.affiliate_id === null ? null : formatId('affiliate', r.affiliate_id),
      },
      action: r.action,
      objectType: r.object_type,
      objectId: r.object_id,
      summary: JSON.parse(r.summary) as AuditSummary,
      clientAddress: r.client_address,
    })),
    nextCursor: rows.length > q.limit ? formatId('audit', page[page.length - 1]!.id) : null,
  };
}

export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'actor_key_id',
  'actor_role',
  'merchant_id',
  'affiliate_id',
  'action',
  'object_type',
  'object_id',
  'before',
  'after',
  'client_address',
] as const;

/** One CSV record per row, every cell text, for the one CSV writer (csv-stringify + neutralizeCell). */
export function auditCsvRecord(v: AuditView): Record<(typeof AUDIT_CSV_COLUMNS)[number], string> {
  const json = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));
  return {
    id: v.id,
    at: v.at,
    actor_key_id: v.actor.keyId ?? '',
    actor_role: v.actor.role,
    merchant_id: v.actor.merchantId ?? '',
    affiliate_id: v.actor.affiliateId ?? '',
    action: v.action,
    object_type: v.objectType,
    object_id: v.objectId ?? '',
    before: json(v.summary.before),
    after: json(v.summary.after),
    client_address: v.clientAddress,
  };
}
