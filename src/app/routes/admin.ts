import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../core/deps';
import type { AppEnv } from '../env';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, bodyErrors, errorResponses, json, jsonBody } from '../schemas/common';
import { runBatchOnDemand } from '../../use-cases/batch-on-demand';
import { setSignupEnabled, signupEnabled } from '../../use-cases/signup';
import { guarded } from './guarded';

const BatchReport = z
  .object({
    asOf: z.string(),
    ordersExamined: z.number(),
    ordersChanged: z.number(),
    entriesAppended: z.number(),
    statusChanges: z.number(),
    skippedOtherCurrency: z.number(),
    waitingForRate: z
      .array(z.object({ from: z.string(), to: z.string(), orders: z.number() }))
      .openapi({ description: 'the currency pairs (order → program) the skipped orders wait for; add a rate either way' }),
    watermark: z.string(),
    durationMs: z.number(),
    export: z
      .object({
        clicks: z.number(),
        orders: z.number(),
        ledgerEntries: z.number(),
        blocks: z.number(),
        durationMs: z.number(),
        mismatches: z
          .number()
          .openapi({ description: 'ledger totals that differ between the SQL store and ClickHouse after the export' }),
      })
      .nullable()
      .openapi({ description: 'What was copied to ClickHouse (null where no ClickHouse is configured)' }),
  })
  .openapi('BatchReport');

const postAdminBatchRoute = createRoute({
  method: 'post',
  path: '/v1/admin/batch',
  tags: ['commissions'],
  summary: 'Run the commission batch now (it also runs every minute); asOf defaults to now and may not be in the future',
  security: bearer,
  request: {
    body: {
      required: false,
      content: { 'application/json': { schema: z.object({ asOf: z.iso.datetime({ offset: true }).optional() }).strict() } },
    },
  },
  responses: { 200: json(BatchReport, 'What the run did'), ...errorResponses(...authErrors, ...bodyErrors, 'conflict') },
});

const SignupSetting = z.object({ enabled: z.boolean() }).openapi('SignupSetting');

const getAdminSignupRoute = createRoute({
  method: 'get',
  path: '/v1/admin/signup',
  tags: ['signup'],
  summary: 'Whether public affiliate sign-up (POST /v1/signup, /app/signup) is on',
  security: bearer,
  responses: { 200: json(SignupSetting, 'The setting'), ...errorResponses(...authErrors) },
});

const putAdminSignupRoute = createRoute({
  method: 'put',
  path: '/v1/admin/signup',
  tags: ['signup'],
  summary: 'Turn public affiliate sign-up on or off; off refuses new requests and unused links alike (403)',
  security: bearer,
  request: { body: jsonBody(SignupSetting.strict()) },
  responses: { 200: json(SignupSetting, 'The setting'), ...errorResponses(...authErrors, ...bodyErrors) },
});

/** Operations for the admin key: the commission batch on demand, the public sign-up switch. */
export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(postAdminBatchRoute, authorize('admin')), async (c) => {
    const body = (c.req.valid('json') as { asOf?: string } | undefined) ?? {};
    return c.json(await runBatchOnDemand(deps, body.asOf), 200);
  });
  app.openapi(guarded(getAdminSignupRoute, authorize('admin')), async (c) => c.json({ enabled: await signupEnabled(deps) }, 200));
  app.openapi(guarded(putAdminSignupRoute, authorize('admin')), async (c) =>
    c.json(await setSignupEnabled(deps, c.req.valid('json').enabled), 200),
  );
}
