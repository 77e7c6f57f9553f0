import { type CompiledQuery, sql } from 'kysely';
import type { AppDeps } from '../core/deps';
import { AppError, notFound } from '../core/errors';
import type { Principal } from '../core/principal';
import { formatId, parseId } from '../domain/ids';
import { formatMoney, moneyParseMessages, parseMoney } from '../domain/money';
import { jsonList } from '../store/json-list';
import { auditInsert, type AuditOrigin } from './audit-log';

/**
 * Manual adjustments (docs/finance.md): a bonus or a penalty added by hand. Each is a ledger entry
 * of kind `manual`, approved at once, plus an `adjustments` row saying who made it and why, and
 * its audit row: the three commit together. Never edited; undone by a reversing adjustment.
 */
export interface AdjustmentInput {
  programId: string;
  affiliateId: string;
  amount: string;
  currency: string;
  reason: string;
  orderId?: string | undefined;
}

type Deps = Pick<AppDeps, 'db' | 'writes' | 'clock' | 'crypto'>;

interface Resolved {
  merchantId: number;
  programId: number;
  affiliateId: number;
  orderId: number | null;
  amountMinor: number;
  currency: string;
  reason: string;
  request: string;
}

/** Why one adjustment cannot be made, or what it is in row numbers; `notFound` maps to 404 for a single POST. */
type Resolution = { ok: true; value: Resolved } | { ok: false; notFound: boolean; message: string };

/** What a bulk upload's rows share, read once: programs, and which affiliates are in them. */
interface Lookups {
  programs: Map<number, { id: number; merchant_id: number; currency: string } | undefined>;
  members: Map<string, { id: number } | undefined>;
}

const noLookups = (): Lookups => ({ programs: new Map(), members: new Map() });

async function findProgram(deps: Deps, id: number) {
  return deps.db.selectFrom('programs').select(['id', 'merchant_id', 'currency']).where('id', '=', id).executeTakeFirst();
}

/** The affiliate, when it is in the program: approved there, or with a link to it. */
async function findMember(deps: Deps, programId: number, affiliateId: number) {
  return deps.db
    .selectFrom('affiliates as a')
    .select('a.id')
    .where('a.id', '=', affiliateId)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('program_affiliates as m')
            .select('m.affiliate_id')
            .whereRef('m.affiliate_id', '=', 'a.id')
            .where('m.program_id', '=', programId),
        ),
        eb.exists(
          eb
            .selectFrom('links as l')
            .select('l.id')
            .whereRef('l.affiliate_id', '=', 'a.id')
            .where('l.program_id', '=', programId),
        ),
      ]),
    )
    .executeTakeFirst();
}

async function resolve(
  deps: Deps,
  principal: Principal,
  input: AdjustmentInput,
  seen: Lookups = noLookups(),
): Promise<Resolution> {
  const fail = (message: string, missing = false): Resolution => ({ ok: false, notFound: missing, message });
  const programId = parseId('program', input.programId);
  if (programId !== undefined && !seen.programs.has(programId)) seen.programs.set(programId, await findProgram(deps, programId));
  const program = programId === undefined ? undefined : seen.programs.get(programId);
  // Another merchant's program is as unknown as a missing one.
  if (!program || (principal.role === 'merchant' && program.merchant_id !== principal.merchantId))
    return fail('programId: no such program', true);
  const affiliateId = parseId('affiliate', input.affiliateId);
  const memberKey = `${program.id}:${affiliateId}`;
  if (affiliateId !== undefined && !seen.members.has(memberKey))
    seen.members.set(memberKey, await findMember(deps, program.id, affiliateId));
  const related = affiliateId === undefined ? undefined : seen.members.get(memberKey);
  if (!related) return fail('affiliateId: no such affiliate in this program', true);
  if (input.currency !== program.currency)
    return fail(`currency: must be the program's currency, ${program.currency} (the ledger keeps one currency per program)`);
  const money = parseMoney(input.amount, input.currency, { allowNegative: true });
  if (!money.ok) return fail(`amount: ${moneyParseMessages[money.error]}`);
  if (money.value.minor === 0) return fail('amount: must not be zero');
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 500) return fail('reason: must be 1 to 500 characters');
  let orderId: number | null = null;
  if (input.orderId !== undefined && input.orderId !== '') {
    const order = await deps.db
      .selectFrom('orders')
      .select('id')
      .where('merchant_id', '=', program.merchant_id)
      .where('program_id', '=', program.id)
      .where('external_id', '=', input.orderId)
      .executeTakeFirst();
    if (!order) return fail('orderId: no such order in this program', true);
    orderId = order.id;
  }
  const value = {
    merchantId: program.merchant_id,
    programId: program.id,
    affiliateId: related.id,
    orderId,
    amountMinor: money.value.minor,
    currency: input.currency,
    reason,
  };
  return { ok: true, value: { ...value, request: JSON.stringify(value) } };
}

const nextAdjustment = sql<number>`(SELECT coalesce(max(id), 0) + 1 FROM adjustments)`;

/**
 * The statements appending one adjustment: its ledger entry, its row and its audit row, each
 * guarded by "no adjustment of this merchant has this ref yet", so a retry writes nothing.
 */
function appendStatements(
  deps: Deps,
  principal: Principal,
  origin: AuditOrigin,
  a: Resolved,
  ref: string,
  reverses: { id: number } | null,
): CompiledQuery[] {
  const now = deps.clock.now().toISOString();
  const author = `${formatId('key', principal.keyId)} (${principal.role})`;
  const explanation = reverses
    ? `manual: reversal of ${formatId('adjustment', reverses.id)} by ${author}: ${a.reason}`
    : `manual: ${a.amountMinor > 0 ? 'bonus' : 'penalty'} by ${author}: ${a.reason}`;
  const fresh = sql<boolean>`NOT EXISTS (SELECT 1 FROM adjustments WHERE merchant_id = ${a.merchantId} AND ref = ${ref})`;
  const once = reverses
    ? sql<boolean>`NOT EXISTS (SELECT 1 FROM adjustments WHERE reverses = ${reverses.id})`
    : sql<boolean>`1 = 1`;
  const hash = deps.crypto.sha256Hex(a.request);
  return [
    sql`INSERT INTO ledger_entries (entry_id, order_id, program_id, affiliate_id, slot, line_index, kind, status, amount_minor,
          currency, base_minor, rate_bp, rule, plan_version, explanation, as_of, created_at, status_changed_at)
        SELECT 'manual:' || ${nextAdjustment}, ${a.orderId}, ${a.programId}, ${a.affiliateId}, 'manual', NULL, 'manual', 'approved',
          ${a.amountMinor}, ${a.currency}, NULL, NULL, 'manual', 0, ${explanation}, ${now}, ${now}, ${now}
        WHERE ${fresh} AND ${once}`.compile(deps.db),
    // The audit row goes first among the adjustment's own rows: it names the id about to be taken.
    auditInsert(
      deps.db,
      {
        principal,
        origin,
        merchantId: a.merchantId,
        action: reverses ? 'adjustment.reverse' : 'adjustment.create',
        objectType: 'adjustment',
        objectId: sql<string>`'adj_' || ${nextAdjustment}`,
        summary: {
          after: {
            programId: formatId('program', a.programId),
            affiliateId: formatId('affiliate', a.affiliateId),
            amount: formatMoney({ minor: a.amountMinor, currency: a.currency }),
            currency: a.currency,
            reason: a.reason,
            ...(reverses ? { reverses: formatId('adjustment', reverses.id) } : {}),
          },
        },
        at: now,
      },
      sql<boolean>`${fresh} AND ${once}`,
    ),
    sql`INSERT INTO adjustments (id, entry_id, merchant_id, program_id, affiliate_id, order_id, amount_minor, currency, reason,
          reverses, actor_key_id, actor_role, ref, request_hash, created_at)
        SELECT ${nextAdjustment}, 'manual:' || ${nextAdjustment}, ${a.merchantId}, ${a.programId}, ${a.affiliateId}, ${a.orderId},
          ${a.amountMinor}, ${a.currency}, ${a.reason}, ${reverses?.id ?? null}, ${principal.keyId}, ${principal.role}, ${ref},
          ${hash}, ${now}
        WHERE ${fresh} AND ${once}`.compile(deps.db),
  ];
}

export interface AdjustmentView {
  id: string;
  entryId: string;
  programId: string;
  affiliateId: string;
  orderId: string | null;
  amount: string;
  currency: string;
  reason: string;
  reverses: string | null;
  reversedBy: string | null;
  author: { keyId: string; role: string };
  status: string;
  createdAt: string;
}

function adjustmentQuery(deps: Pick<AppDeps, 'db'>) {
  return deps.db
    .selectFrom('adjustments as a')
    .innerJoin('ledger_entries as e', 'e.entry_id', 'a.entry_id')
    .leftJoin('orders as o', 'o.id', 'a.order_id')
    .leftJoin('adjustments as r', 'r.reverses', 'a.id')
    .select([
      'a.id',
      'a.entry_id',
      'a.merchant_id',
      'a.program_id',
      'a.affiliate_id',
      'a.order_id',
      'o.external_id',
      'a.amount_minor',
      'a.currency',
      'a.reason',
      'a.reverses',
      'r.id as reversed_by',
      'a.actor_key_id',
      'a.actor_role',
      'a.ref',
      'a.request_hash',
      'e.status',
      'a.created_at',
    ]);
}

async function readAdjustments(deps: Pick<AppDeps, 'db'>, where: { merchantId: number; ref: string } | { id: number }) {
  const q = adjustmentQuery(deps);
  return (
    'id' in where
      ? q.where('a.id', '=', where.id)
      : q.where('a.merchant_id', '=', where.merchantId).where('a.ref', '=', where.ref)
  ).executeTakeFirst();
}

type AdjustmentRow = NonNullable<Awaited<ReturnType<typeof readAdjustments>>>;

/** The adjustments made under these refs, a few hundred a read (a bulk upload's rows). */
async function readByRefs(deps: Pick<AppDeps, 'db'>, wanted: readonly { merchantId: number; ref: string }[]) {
  const found = new Map<string, AdjustmentRow>();
  const key = (merchantId: number, ref: string) => `${merchantId}\u0000${ref}`;
  for (let i = 0; i < wanted.length; i += 500) {
    const refs = wanted.slice(i, i + 500).map((w) => w.ref);
    const rows = await adjustmentQuery(deps).where('a.ref', 'in', jsonList(refs)).execute();
    for (const r of rows) found.set(key(r.merchant_id, r.ref), r);
  }
  return (merchantId: number, ref: string) => found.get(key(merchantId, ref));
}

function view(r: AdjustmentRow): AdjustmentView {
  return {
    id: formatId('adjustment', r.id),
    entryId: r.entry_id,
    programId: formatId('program', r.program_id),
    affiliateId: formatId('affiliate', r.affiliate_id),
    orderId: r.external_id ?? null,
    amount: formatMoney({ minor: r.amount_minor, currency: r.currency }),
    currency: r.currency,
    reason: r.reason,
    reverses: r.reverses === null ? null : formatId('adjustment', r.reverses),
    reversedBy: r.reversed_by === null ? null : formatId('adjustment', r.reversed_by),
    author: { keyId: formatId('key', r.actor_key_id), role: r.actor_role },
    status: r.status,
    createdAt: r.created_at,
  };
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/** A ref for a request that sent no key: it never matches another, so each such POST adds one. */
function randomRef(deps: Deps): string {
  return [...deps.crypto.randomBytes(16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function refFor(deps: Deps, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `auto:${randomRef(deps)}`;
  if (!KEY.test(idempotencyKey))
    throw new AppError('validation_failed', 'Idempotency-Key: must be 1 to 200 visible ASCII characters');
  return `key:${idempotencyKey}`;
}

/** The same key with a different request is the client's bug, not a retry. */
function sameRequest(deps: Deps, row: AdjustmentRow, resolved: Resolved): void {
  if (row.request_hash !== deps.crypto.sha256Hex(resolved.request))
    throw new AppError('conflict', 'this Idempotency-Key was used for a different adjustment');
}

/** One adjustment. `created` is false when the Idempotency-Key had already made it: nothing new was written. */
export async function createAdjustment(
  deps: Deps,
  principal: Principal,
  origin: AuditOrigin,
  input: AdjustmentInput,
  idempotencyKey: string | undefined,
): Promise<{ created: boolean; adjustment: AdjustmentView }> {
  const ref = refFor(deps, idempotencyKey);
  const r = await resolve(deps, principal, input);
  if (!r.ok) throw r.notFound ? new AppError('not_found', r.message) : new AppError('validation_failed', r.message);
  const before = await readAdjustments(deps, { merchantId: r.value.merchantId, ref });
  if (before) {
    sameRequest(deps, before, r.value);
    return { created: false, adjustment: view(before) };
  }
  const results = await deps.writes.commit(appendStatements(deps, principal, origin, r.value, ref, null));
  const row = await readAdjustments(deps, { merchantId: r.value.merchantId, ref });
  if (!row) throw new Error('the adjustment was not written');
  // A concurrent retry may have written it first.
  sameRequest(deps, row, r.value);
  return { created: (results[2]?.changes ?? 0) > 0, adjustment: view(row) };
}

/** An adjustment, for the merchant whose program it is, finance and admin. */
export async function getAdjustment(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  id: number | undefined,
): Promise<AdjustmentView> {
  const row = id === undefined ? undefined : await readAdjustments(deps, { id });
  if (!row || (principal.role === 'merchant' && row.merchant_id !== principal.merchantId)) throw notFound('adjustment');
  return view(row);
}

/**
 * Undoes an adjustment with one of the opposite amount; the first is kept as it was. Undoing it
 * again answers the same reversal and writes nothing; a reversal cannot itself be reversed.
 */
export async function reverseAdjustment(
  deps: Deps,
  principal: Principal,
  origin: AuditOrigin,
  id: number | undefined,
  reason: string,
): Promise<{ created: boolean; adjustment: AdjustmentView }> {
  const original = await getAdjustment(deps, principal, id);
  const row = (await readAdjustments(deps, { id: id! }))!;
  if (row.reverses !== null) throw new AppError('conflict', 'a reversal cannot be reversed; make a new adjustment instead');
  if (row.reversed_by !== null) return { created: false, adjustment: await getAdjustment(deps, principal, row.reversed_by) };
  const text = reason.trim() || `reverses ${original.id}`;
  if (text.length > 500) throw new AppError('validation_failed', 'reason: must be at most 500 characters');
  const value: Resolved = {
    merchantId: row.merchant_id,
    programId: row.program_id,
    affiliateId: row.affiliate_id,
    orderId: row.order_id,
    amountMinor: -row.amount_minor,
    currency: row.currency,
    reason: text,
    request: '',
  };
  value.request = JSON.stringify({ reverses: row.id });
  const ref = `reverse:${row.id}`;
  const results = await deps.writes.commit(appendStatements(deps, principal, origin, value, ref, { id: row.id }));
  const made = await readAdjustments(deps, { merchantId: row.merchant_id, ref });
  if (!made) throw new Error('the reversal was not written');
  return { created: (results[2]?.changes ?? 0) > 0, adjustment: view(made) };
}

export interface BulkRowProblem {
  row: number;
  message: string;
}

/**
 * At most this many rows in one upload: one unit of work writes three statements per row, and a
 * Worker's invocation allows about a thousand D1 queries for the lookups and the batch together.
 */
export const BULK_MOST_ROWS = 250;

/**
 * Many adjustments from one upload, validated whole first: any bad row and nothing is written,
 * with every bad row's number (the header is row 1). All rows commit in one unit of work. A row's
 * `reference` column (or, without one, the request's Idempotency-Key and the row number) makes a
 * re-upload add nothing twice.
 */
export async function createAdjustmentsInBulk(
  deps: Deps,
  principal: Principal,
  origin: AuditOrigin,
  rows: readonly (AdjustmentInput & { reference?: string | undefined })[],
  idempotencyKey: string | undefined,
): Promise<{ created: number; existing: number; adjustments: AdjustmentView[] }> {
  if (rows.length === 0) throw new AppError('validation_failed', 'the file has no rows');
  if (rows.length > BULK_MOST_ROWS) throw new AppError('validation_failed', `at most ${BULK_MOST_ROWS} rows per upload`);
  const batchRef = idempotencyKey === undefined ? undefined : refFor(deps, idempotencyKey);
  const problems: BulkRowProblem[] = [];
  const ready: { value: Resolved; ref: string; row: number }[] = [];
  const refs = new Set<string>();
  const seen = noLookups();
  for (const [i, input] of rows.entries()) {
    const rowNumber = i + 2;
    const reference = input.reference?.trim();
    if (reference !== undefined && reference !== '' && !KEY.test(reference)) {
      problems.push({ row: rowNumber, message: 'reference: must be 1 to 200 visible ASCII characters' });
      continue;
    }
    const ref = reference ? `ref:${reference}` : batchRef ? `${batchRef}#${rowNumber}` : `auto:${randomRef(deps)}`;
    if (refs.has(ref)) {
      problems.push({ row: rowNumber, message: 'reference: the same reference appears twice in this file' });
      continue;
    }
    refs.add(ref);
    const r = await resolve(deps, principal, input, seen);
    if (!r.ok) problems.push({ row: rowNumber, message: r.message });
    else ready.push({ value: r.value, ref, row: rowNumber });
  }
  // A row made before (a re-upload) must be the same adjustment again.
  const wanted = ready.map((item) => ({ merchantId: item.value.merchantId, ref: item.ref }));
  const madeBefore = await readByRefs(deps, wanted);
  for (const item of ready) {
    const before = madeBefore(item.value.merchantId, item.ref);
    if (before && before.request_hash !== deps.crypto.sha256Hex(item.value.request))
      problems.push({ row: item.row, message: 'reference: already used for a different adjustment' });
  }
  if (problems.length > 0) {
    problems.sort((a, b) => a.row - b.row);
    throw new AppError(
      'validation_failed',
      `nothing was written; fix these rows: ${problems.map((p) => `row ${p.row}: ${p.message}`).join('; ')}`,
    );
  }
  const statements = ready.flatMap((item) => appendStatements(deps, principal, origin, item.value, item.ref, null));
  const results = await deps.writes.commit(statements);
  let created = 0;
  for (let i = 2; i < results.length; i += 3) if ((results[i]?.changes ?? 0) > 0) created++;
  const made = await readByRefs(deps, wanted);
  const adjustments: AdjustmentView[] = [];
  for (const item of ready) {
    const row = made(item.value.merchantId, item.ref);
    if (row) adjustments.push(view(row));
  }
  return { created, existing: ready.length - created, adjustments };
}
