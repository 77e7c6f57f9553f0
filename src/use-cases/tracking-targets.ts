import type { CompiledQuery, InferResult } from 'kysely';
import { CLICK_ID_PARAM } from '../domain/click-id';
import { checkLandingUrl, queryParamSlot, type QueryParamSlot } from '../domain/landing-url';
import type { SubIds } from '../domain/sub-id';
import type { AppDeps } from '../core/deps';
import { TtlCache } from './ttl-cache';

type TargetRow = InferResult<ReturnType<TrackingTargets['query']>>[number];

/** The lookup is run with the code as its only bound value: a query edited to bind more must fail here, not match wrongly. */
function compiledWithOneParameter<T>(compiled: CompiledQuery<T>): CompiledQuery<T> {
  if (compiled.parameters.length !== 1) throw new Error(`link lookup binds ${compiled.parameters.length} values, expected 1`);
  return compiled;
}

/** What the redirect needs to know about a link code. */
export interface TrackingTarget {
  linkId: number;
  programId: number;
  affiliateId: number;
  /** Where the visitor goes: the link's deep link, else the program's landing URL. */
  landingUrl: string;
  /** `landingUrl` cut where the click id goes: worked out once per cached target, not per click. */
  clickIdSlot: QueryParamSlot;
  /** False when the link or program is paused or the affiliate suspended: redirect, don't track. */
  tracking: boolean;
  cookieDays: number;
  subIds: SubIds;
}

const TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

/**
 * Link lookups for the redirect, cached for a few seconds: the click path must not pay a
 * database read per request. Writes through this process clear the cache at once; another
 * process (a second Worker isolate) sees a pause within TTL_MS.
 */
export class TrackingTargets {
  private readonly cache = new TtlCache<string, TrackingTarget | null>(TTL_MS, MAX_ENTRIES, (code) => this.load(code));

  constructor(private readonly deps: Pick<AppDeps, 'db'>) {}

  invalidate(): void {
    this.cache.clear();
  }

  get(code: string, nowMs: number): Promise<TrackingTarget | null> {
    return this.cache.get(code, nowMs);
  }

  /** The lookup, built and compiled by Kysely once: a service with many links reloads them all every TTL_MS. */
  private compiled?: CompiledQuery<TargetRow>;

  private async load(code: string): Promise<TrackingTarget | null> {
    this.compiled ??= compiledWithOneParameter(this.query('').compile());
    const { rows } = await this.deps.db.executeQuery<TargetRow>({ ...this.compiled, parameters: [code] });
    const row = rows[0];
    return row ? this.toTarget(row) : null;
  }

  private query(code: string) {
    return this.deps.db
      .selectFrom('links')
      .innerJoin('programs', 'programs.id', 'links.program_id')
      .leftJoin('program_affiliates as pa', (join) =>
        join.onRef('pa.program_id', '=', 'links.program_id').onRef('pa.affiliate_id', '=', 'links.affiliate_id'),
      )
      .select([
        'links.id',
        'links.program_id',
        'links.affiliate_id',
        'links.url',
        'links.status',
        'links.sub1',
        'links.sub2',
        'links.sub3',
        'links.sub4',
        'links.sub5',
        'programs.landing_url',
        'programs.allowed_domains',
        'programs.cookie_days',
        'programs.status as program_status',
        'pa.status as membership',
      ])
      .where('links.code', '=', code);
  }

  private toTarget(row: TargetRow): TrackingTarget {
    // Checked again here: the program's allowed domains may have changed since the link was made.
    const allowed = JSON.parse(row.allowed_domains) as string[];
    const deepLink = row.url !== null ? checkLandingUrl(row.url, allowed) : undefined;
    const subIds: SubIds = {};
    for (const key of ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const) {
      const value = row[key];
      if (value !== null) subIds[key] = value;
    }
    const landingUrl = deepLink?.ok ? deepLink.url : row.landing_url;
    return {
      linkId: row.id,
      programId: row.program_id,
      affiliateId: row.affiliate_id,
      landingUrl,
      clickIdSlot: queryParamSlot(landingUrl, CLICK_ID_PARAM),
      tracking: row.status === 'active' && row.program_status === 'active' && row.membership === 'approved',
      cookieDays: row.cookie_days,
      subIds,
    };
  }
}
