import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AuthThrottle } from './auth-throttle';
import type { AppDeps } from '../core/deps';
import type { AppEnv } from './env';
import { errorBody, validationFailed } from '../core/errors';
import { IntakePrograms } from '../use-cases/intake-programs';
import { authorizer } from './middleware/authorize';
import { tenantLimit } from './middleware/tenant-limit';
import { errorHandler } from './middleware/errors';
import { utf8Json } from './middleware/utf8-json';
import { auditTrail } from './middleware/audit-trail';
import { registerDashboardRoutes } from './dashboard/register-dashboard';
import { withOperationIds } from './openapi-document';
import { registerApiDocsRoutes } from './routes/api-docs';
import { registerAccountRoutes } from './routes/accounts';
import { registerAdjustmentRoutes } from './routes/adjustments';
import { registerAuditRoutes } from './routes/audit';
import { registerAdminRoutes } from './routes/admin';
import { registerAffiliatePostbackRoutes } from './routes/affiliate-postbacks';
import { registerAffiliateSelfRoutes } from './routes/affiliate-self';
import { registerCatalogRoutes } from './routes/catalog';
import { registerCommissionRoutes } from './routes/commissions';
import { registerCouponRoutes } from './routes/coupons';
import { registerCustomerRefRoutes } from './routes/customer-refs';
import { registerConnectorRoutes } from './routes/connectors';
import { registerEarningsRoutes } from './routes/earnings';
import { registerFxRateRoutes } from './routes/fx-rates';
import { registerHealthRoutes } from './routes/health';
import { registerPayoutRoutes } from './routes/payouts';
import { registerReadinessRoute } from './routes/readiness';
import { registerLinkRoutes } from './routes/links';
import { registerMerchantSecretRoutes } from './routes/merchant-secrets';
import { registerOrderReviewRoutes, registerOrderRoutes } from './routes/orders';
import { registerPostbackRoutes } from './routes/postback';
import { registerProgramCommissionRoutes, registerProgramRoutes } from './routes/programs';
import { registerReportRoutes } from './routes/reports';
import { registerTrackRoutes } from './routes/track';
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints';
import { registerWebhookEventDocs } from './routes/webhook-events';
import { registerSignupRoutes } from './routes/signup';
import { SignupGate } from './signup-gate';
import { TrackingTargets } from '../use-cases/tracking-targets';
import { clickIdSigner } from '../use-cases/track-click';

/** Builds the whole HTTP app from its dependencies; each runtime calls this once. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const failure = validationFailed(result.error.issues);
        return c.json(errorBody(failure.code, failure.message), 422);
      }
    },
  });

  // Before any route: a body over the limit is refused by Content-Length or, when chunked,
  // as soon as the counted bytes pass it (P23). Registered for the methods that carry a body
  // only (every route here takes GET, HEAD or one of these): a GET then matches its handler
  // alone, which Hono calls directly instead of composing a middleware chain around it, and the
  // click redirect pays for neither.
  const limitBody = bodyLimit({
    maxSize: deps.config.bodyLimitBytes,
    onError: (c) => c.json(errorBody('payload_too_large', `the body is larger than ${deps.config.bodyLimitBytes} bytes`), 413),
  });
  app.on(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], '*', (c, next) => {
    // With a Content-Length (and no chunking) the header decides; the HTTP parser never
    // delivers more bytes than it declares. Only a chunked body needs counting as it streams,
    // which costs a full web Request on Node: the common case skips that.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > deps.config.bodyLimitBytes) {
        return Promise.resolve(
          c.json(errorBody('payload_too_large', `the body is larger than ${deps.config.bodyLimitBytes} bytes`), 413),
        );
      }
      return next();
    }
    return limitBody(c, next);
  });
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', utf8Json);
  // Every successful change made with an API key (the dashboards' in-process calls too) leaves an audit row.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '/v1/*', auditTrail(deps));
  app.onError(errorHandler(deps.log));
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: admin, merchant, affiliate or finance',
  });

  const targets = new TrackingTargets(deps);
  const intakePrograms = new IntakePrograms(deps);
  // Changes made through this process reach the redirect's and the intake's caches at once.
  const routeDeps = {
    ...deps,
    onTrackingChange: () => {
      targets.invalidate();
      intakePrograms.invalidate();
    },
  };
  const throttle = new AuthThrottle({
    limit: deps.config.authFailureLimit ?? 20,
    windowMs: (deps.config.authFailureWindowSeconds ?? 60) * 1000,
  });
  const authorize = authorizer(deps, throttle);
  const heavy = tenantLimit(deps.config.heavyRequestsPerTenant ?? 2);
  const signClickId = clickIdSigner(deps, deps.clickSecrets);
  // Registration order is the order of /openapi.json's paths (held by test/fixtures/openapi.json).
  registerHealthRoutes(app, deps);
  registerReadinessRoute(app, deps);
  registerTrackRoutes(app, deps, targets, signClickId);
  registerAccountRoutes(app, deps, authorize);
  registerProgramRoutes(app, routeDeps, authorize);
  registerLinkRoutes(app, routeDeps, authorize);
  registerOrderRoutes(app, deps, authorize, signClickId, intakePrograms);
  registerPostbackRoutes(app, deps, signClickId, intakePrograms);
  registerConnectorRoutes(app, routeDeps, authorize, signClickId, intakePrograms);
  registerCatalogRoutes(app, routeDeps, authorize);
  registerCouponRoutes(app, routeDeps, authorize);
  registerMerchantSecretRoutes(app, routeDeps, authorize);
  registerCustomerRefRoutes(app, routeDeps, authorize);
  registerProgramCommissionRoutes(app, deps, authorize, heavy);
  registerEarningsRoutes(app, deps, authorize);
  registerCommissionRoutes(app, deps, authorize, heavy);
  registerAdminRoutes(app, deps, authorize);
  registerOrderReviewRoutes(app, deps, authorize);
  registerFxRateRoutes(app, deps, authorize);
  registerPayoutRoutes(app, deps, authorize, heavy);
  registerAffiliateSelfRoutes(app, deps, authorize);
  registerAffiliatePostbackRoutes(app, deps, authorize);
  registerReportRoutes(app, deps, authorize);
  registerWebhookEndpointRoutes(app, deps, authorize);
  const signupGate = new SignupGate();
  registerSignupRoutes(app, deps, signupGate);
  registerAdjustmentRoutes(app, deps, authorize);
  registerAuditRoutes(app, deps, authorize);
  registerWebhookEventDocs(app);
  // Pages last: they call the routes above in-process, as one more API client.
  registerDashboardRoutes(app, deps, app, throttle, signupGate);

  const documentConfig = {
    openapi: '3.1.0',
    info: {
      title: 'clickledger',
      version: '0.1.0',
      description: 'Cost-per-sale affiliate tracking and commissions. Errors are always { error: { code, message } }.',
    },
    // Relative: the API is served where this document is, whatever the deployment's host.
    servers: [{ url: '/', description: 'this service' }],
  };
  app.get('/openapi.json', (c) => c.json(withOperationIds(app.getOpenAPI31Document(documentConfig))));
  registerApiDocsRoutes(app, deps);
  return app;
}

export type App = ReturnType<typeof createApp>;
