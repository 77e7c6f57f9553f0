import type { Hono } from 'hono';
import type { AppEnv } from '../env';
import { Layout } from './layout';
import type { Program } from './merchant-api';
import type { PageRunner } from './page-runner';
import { loadReportsOrError, ReportSection, reportSelection } from './report-pages';

const MERCHANT_BREAKDOWNS = [
  'affiliate',
  'link',
  'program',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'country',
  'device',
] as const;

/** /app/merchant: the report over the merchant's programs. */
export function registerMerchantOverview(router: Hono<AppEnv>, run: PageRunner) {
  const merchant = ['merchant'] as const;
  router.get(
    '/app/merchant',
    run.page([...merchant], async (c, p) => {
      const s = reportSelection(c, p, 'affiliate');
      const [{ programs }, loaded] = await Promise.all([
        p.api.get<{ programs: Program[] }>('/v1/programs'),
        loadReportsOrError(p.api, s),
      ]);
      if (loaded.error) c.status(422);
      return c.html(
        <Layout title="Merchant overview" role="merchant" csrf={p.session.csrf} path={p.path} error={loaded.error}>
          <ReportSection
            action="/app/merchant"
            s={s}
            {...loaded}
            breakdowns={MERCHANT_BREAKDOWNS}
            programs={programs}
            fmt={p.fmt}
            today={p.today}
          />
        </Layout>,
      );
    }),
  );
}
