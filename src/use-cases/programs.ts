import { formatId } from '../domain/ids';
import { checkLandingUrl, landingUrlMessages, normalizeAllowedDomain } from '../domain/landing-url';
import { moneyParseMessages, parseMoney } from '../domain/money';
import { type CompiledQuery, type Selectable, sql } from 'kysely';
import type { AttributionSource, FraudChecks } from '../domain/attribution';
import { insertedId, nextId } from '../store/atomic-writes';
import type { ProgramTable } from '../store/database';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { AppError, notFound } from '../core/errors';
import { type Plan, planAmounts } from '../domain/commission-plan';

type ProgramDeps = Pick<AppDeps, 'db' | 'writes' | 'clock'> & { onTrackingChange?: () => void };

export interface ProgramInput {
  name: string;
  landingUrl: string;
  allowedDomains: string[];
  currency: string;
  cookieDays: number;
  lockDays: number;
  plan: Plan;
  attributionOrder?: AttributionSource[] | undefined;
  fraudChecks?: FraudChecks | undefined;
}

export type ProgramPatch = Partial<Omit<ProgramInput, 'currency'>> & { status?: 'active' | 'paused' };

type ProgramRow = Selectable<ProgramTable>;

export function programView(row: ProgramRow) {
  return {
    id: formatId('program', row.id),
    merchantId: formatId('merchant', row.merchant_id),
    name: row.name,
    landingUrl: row.landing_url,
    allowedDomains: JSON.parse(row.allowed_domains) as string[],
    currency: row.currency,
    cookieDays: row.cookie_days,
    lockDays: row.lock_days,
    plan: JSON.parse(row.plan) as Plan,
    attributionOrder: JSON.parse(row.attribution_order) as AttributionSource[],
    fraudChecks: JSON.parse(row.fraud_checks) as FraudChecks,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * A program as its affiliates see it: their standing, and not the fraud thresholds, which would
 * tell a cheat exactly how long to wait between click and order.
 */
function affiliateProgramView(row: ProgramRow & { membership: 'approved' | 'suspended' }) {
  const { fraudChecks: _hidden, ...view } = programView(row);
  return { ...view, membership: row.membership };
}

function invalid(message: string): AppError {
  return new AppError('validation_failed', message);
}

/** Checks what the schema cannot: hosts, the landing URL against them, plan amounts against the currency. */
function checkProgram(input: Pick<ProgramInput, 'allowedDomains' | 'landingUrl' | 'plan' | 'currency'>) {
  const hosts: string[] = [];
  for (const entry of input.allowedDomains) {
    const host = normalizeAllowedDomain(entry);
    if (!host) throw invalid(`allowedDomains: "${entry}" is not a host name`);
    if (!hosts.includes(host)) hosts.push(host);
  }
  const landing = checkLandingUrl(input.landingUrl, hosts);
  if (!landing.ok) throw invalid(`landingUrl ${landingUrlMessages[landing.reason]}`);
  checkPlanAmounts(input.plan, input.currency);
  return { hosts, landingUrl: landing.url };
}

/** Plan amounts must fit the program's currency (no cents on a JPY bonus). */
export function checkPlanAmounts(plan: Plan, currency: string): void {
  for (const { path, value } of planAmounts(plan)) {
    const parsed = parseMoney(value, currency);
    if (!parsed.ok) throw invalid(`${path} ${moneyParseMessages[parsed.error]} (${currency})`);
  }
}

export async function createProgram(deps: ProgramDeps, principal: Principal, input: ProgramInput) {
  const { hosts, landingUrl } = checkProgram(input);
  const now = deps.clock.now().toISOString();
  const plan = JSON.stringify(input.plan);
  const [created] = await deps.writes.commit([
    deps.db
      .insertInto('programs')
      .values({
        id: nextId('programs'),
        merchant_id: principal.merchantId!,
        name: input.name,
        landing_url: landingUrl,
        allowed_domains: JSON.stringify(hosts),
        currency: input.currency,
        cookie_days: input.cookieDays,
        lock_days: input.lockDays,
        plan,
        attribution_order: JSON.stringify(input.attributionOrder ?? ['click', 'coupon']),
        fraud_checks: JSON.stringify(input.fraudChecks ?? {}),
        status: 'active',
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .compile(),
    // Version 1 covers everything before the first change, so no order is ever without a plan.
    deps.db
      .insertInto('plan_versions')
      .values({
        program_id: insertedId('programs'),
        version: 1,
        plan,
        effective_from: '1970-01-01T00:00:00.000Z',
        created_at: now,
      })
      .compile(),
  ]);
  return programView(created!.rows[0] as ProgramRow);
}

/** A program the merchant owns; anyone else's is "not found" (P20). */
export async function findOwnProgram(deps: Pick<AppDeps, 'db'>, principal: Principal, programId: number | undefined) {
  if (programId === undefined) throw notFound('program');
  const row = await deps.db
    .selectFrom('programs')
    .selectAll()
    .where('id', '=', programId)
    .where('merchant_id', '=', principal.merchantId!)
    .executeTakeFirst();
  if (!row) throw notFound('program');
  return row;
}

/** Merchants see their own programs; affiliates the programs they belong to. */
export async function getProgram(deps: Pick<AppDeps, 'db'>, principal: Principal, programId: number | undefined) {
  if (principal.role === 'merchant') return programView(await findOwnProgram(deps, principal, programId));
  if (programId === undefined) throw notFound('program');
  const row = await deps.db
    .selectFrom('programs')
    .innerJoin('program_affiliates as pa', 'pa.program_id', 'programs.id')
    .selectAll('programs')
    .select('pa.status as membership')
    .where('programs.id', '=', programId)
    .where('pa.affiliate_id', '=', principal.affiliateId!)
    .executeTakeFirst();
  if (!row) throw notFound('program');
  return affiliateProgramView(row);
}

export async function listPrograms(deps: Pick<AppDeps, 'db'>, principal: Principal) {
  if (principal.role === 'merchant') {
    const rows = await deps.db
      .selectFrom('programs')
      .selectAll()
      .where('merchant_id', '=', principal.merchantId!)
      .orderBy('id')
      .execute();
    return rows.map(programView);
  }
  const rows = await deps.db
    .selectFrom('programs')
    .innerJoin('program_affiliates as pa', 'pa.program_id', 'programs.id')
    .selectAll('programs')
    .select('pa.status as membership')
    .where('pa.affiliate_id', '=', principal.affiliateId!)
    .orderBy('programs.id')
    .execute();
  return rows.map(affiliateProgramView);
}

export async function updateProgram(deps: ProgramDeps, principal: Principal, programId: number | undefined, patch: ProgramPatch) {
  const current = programView(await findOwnProgram(deps, principal, programId));
  const next = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as typeof current;
  const { hosts, landingUrl } = checkProgram(next);
  const now = deps.clock.now().toISOString();
  const planText = JSON.stringify(next.plan);
  const statements: CompiledQuery[] = [];
  if (planText !== JSON.stringify(current.plan)) {
    // A new plan applies to orders placed from now on; past orders keep the version they had.
    // The version number is the next one at commit time, decided in the statement itself.
    statements.push(
      deps.db
        .insertInto('plan_versions')
        .columns(['program_id', 'version', 'plan', 'effective_from', 'created_at'])
        .expression((eb) =>
          eb
            .selectFrom('plan_versions')
            .select([
              eb.val(programId!).as('program_id'),
              sql<number>`coalesce(max(version), 0) + 1`.as('version'),
              eb.val(planText).as('plan'),
              eb.val(now).as('effective_from'),
              eb.val(now).as('created_at'),
            ])
            .where('program_id', '=', programId!),
        )
        .compile(),
    );
  }
  statements.push(
    deps.db
      .updateTable('programs')
      .set({
        name: next.name,
        landing_url: landingUrl,
        allowed_domains: JSON.stringify(hosts),
        cookie_days: next.cookieDays,
        lock_days: next.lockDays,
        plan: planText,
        attribution_order: JSON.stringify(next.attributionOrder),
        fraud_checks: JSON.stringify(next.fraudChecks),
        status: next.status,
        updated_at: now,
      })
      .where('id', '=', programId!)
      .returningAll()
      .compile(),
  );
  const results = await deps.writes.commit(statements);
  const row = results.at(-1)!.rows[0] as ProgramRow;
  deps.onTrackingChange?.();
  return programView(row);
}

export async function setMembership(
  deps: ProgramDeps,
  principal: Principal,
  programId: number | undefined,
  affiliateId: number | undefined,
  status: 'approved' | 'suspended',
) {
  await findOwnProgram(deps, principal, programId);
  if (affiliateId === undefined) throw notFound('affiliate');
  const affiliate = await deps.db.selectFrom('affiliates').select('id').where('id', '=', affiliateId).executeTakeFirst();
  if (!affiliate) throw notFound('affiliate');
  if (status === 'suspended') {
    const member = await deps.db
      .selectFrom('program_affiliates')
      .select('status')
      .where('program_id', '=', programId!)
      .where('affiliate_id', '=', affiliateId)
      .executeTakeFirst();
    if (!member) throw notFound('affiliate');
  }
  const now = deps.clock.now().toISOString();
  await deps.db
    .insertInto('program_affiliates')
    .values({ program_id: programId!, affiliate_id: affiliateId, status, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['program_id', 'affiliate_id']).doUpdateSet({ status, updated_at: now }))
    .execute();
  deps.onTrackingChange?.();
  return { programId: formatId('program', programId!), affiliateId: formatId('affiliate', affiliateId), status };
}

export async function listMembers(deps: Pick<AppDeps, 'db'>, principal: Principal, programId: number | undefined) {
  await findOwnProgram(deps, principal, programId);
  const rows = await deps.db
    .selectFrom('program_affiliates as pa')
    .innerJoin('affiliates as a', 'a.id', 'pa.affiliate_id')
    .select(['a.id', 'a.name', 'pa.status', 'pa.created_at', 'pa.updated_at'])
    .where('pa.program_id', '=', programId!)
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({
    affiliateId: formatId('affiliate', r.id),
    name: r.name,
    status: r.status,
    approvedAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}
