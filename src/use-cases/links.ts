import { encodeBase64Url } from '../domain/base64url';
import { formatId } from '../domain/ids';
import { checkLandingUrl, landingUrlMessages } from '../domain/landing-url';
import { SUB_ID_KEYS, type SubIds } from '../domain/sub-id';
import type { LinkTable } from '../store/database';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { AppError, notFound } from '../core/errors';

type LinkDeps = Pick<AppDeps, 'db' | 'clock' | 'crypto' | 'config'> & { onTrackingChange?: () => void };

export const LINK_CODE_PATTERN = /^[A-Za-z0-9_-]{4,32}$/;

type LinkRow = Omit<LinkTable, 'id'> & { id: number };

export function linkView(row: LinkRow, publicUrl: string, programLandingUrl?: string) {
  return {
    id: formatId('link', row.id),
    code: row.code,
    programId: formatId('program', row.program_id),
    url: row.url ?? programLandingUrl ?? null,
    trackingUrl: `${publicUrl.replace(/\/$/, '')}/c/${row.code}`,
    sub1: row.sub1,
    sub2: row.sub2,
    sub3: row.sub3,
    sub4: row.sub4,
    sub5: row.sub5,
    status: row.status,
    createdAt: row.created_at,
  };
}

/** Short codes: 6 random bytes give 8 base64url characters; the unique index settles collisions. */
function newCode(deps: Pick<AppDeps, 'crypto'>): string {
  return encodeBase64Url(deps.crypto.randomBytes(6));
}

export async function createLink(
  deps: LinkDeps,
  principal: Principal,
  input: { programId: number | undefined; url?: string | undefined } & SubIds,
) {
  if (input.programId === undefined) throw notFound('program');
  const program = await deps.db
    .selectFrom('programs')
    .innerJoin('program_affiliates as pa', 'pa.program_id', 'programs.id')
    .select(['programs.id', 'programs.allowed_domains', 'programs.landing_url', 'pa.status as membership'])
    .where('programs.id', '=', input.programId)
    .where('pa.affiliate_id', '=', principal.affiliateId!)
    .executeTakeFirst();
  if (!program) throw notFound('program');
  if (program.membership !== 'approved') throw new AppError('forbidden', 'you are suspended from this program');
  let url: string | null = null;
  if (input.url !== undefined) {
    const checked = checkLandingUrl(input.url, JSON.parse(program.allowed_domains) as string[]);
    if (!checked.ok) throw new AppError('validation_failed', `url ${landingUrlMessages[checked.reason]}`);
    url = checked.url;
  }
  const subs = Object.fromEntries(SUB_ID_KEYS.map((k) => [k, input[k] ?? null])) as Record<
    (typeof SUB_ID_KEYS)[number],
    string | null
  >;
  for (let attempt = 0; ; attempt++) {
    try {
      const row = await deps.db
        .insertInto('links')
        .values({
          code: newCode(deps),
          program_id: program.id,
          affiliate_id: principal.affiliateId!,
          url,
          ...subs,
          status: 'active',
          created_at: deps.clock.now().toISOString(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return linkView(row, deps.config.publicUrl, program.landing_url);
    } catch (error) {
      if (attempt < 3 && String(error).includes('UNIQUE constraint failed: links.code')) continue;
      throw error;
    }
  }
}

export async function listLinks(
  deps: Pick<AppDeps, 'db' | 'config'>,
  principal: Principal,
  page: { limit: number; after?: number | undefined; programId?: number | undefined },
) {
  let query = deps.db
    .selectFrom('links')
    .innerJoin('programs', 'programs.id', 'links.program_id')
    .selectAll('links')
    .select('programs.landing_url')
    .where('links.affiliate_id', '=', principal.affiliateId!)
    .orderBy('links.id')
    .limit(page.limit);
  if (page.after !== undefined) query = query.where('links.id', '>', page.after);
  if (page.programId !== undefined) query = query.where('links.program_id', '=', page.programId);
  const rows = await query.execute();
  const links = rows.map((row) => linkView(row, deps.config.publicUrl, row.landing_url));
  return { links, next: rows.length === page.limit ? links[links.length - 1]!.id : null };
}

export async function setLinkStatus(deps: LinkDeps, principal: Principal, code: string, status: 'active' | 'paused') {
  const row = await deps.db
    .updateTable('links')
    .set({ status })
    .where('code', '=', code)
    .where('affiliate_id', '=', principal.affiliateId!)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('link');
  deps.onTrackingChange?.();
  return linkView(row, deps.config.publicUrl);
}
