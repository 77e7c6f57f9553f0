import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { stringify } from 'csv-stringify/sync';
import type { AppDeps } from '../../core/deps';
import { neutralizeCell } from '../../domain/csv-cell';
import type { AppEnv } from '../env';
import { guarded } from './guarded';
import type { Authorize } from '../middleware/authorize';
import { authErrors, bearer, errorResponses } from '../schemas/common';
import { AUDIT_CSV_COLUMNS, auditCsvRecord, listAudit } from '../../use-cases/audit-log';

/** Any JSON value, recursively typed so the document names every shape it can take. */
const JsonValue: z.ZodType<unknown> = z
  .lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]))
  .openapi('JsonValue');

const AuditEntry = z
  .object({
    id: z.string().openapi({ example: 'aud_12' }),
    at: z.string(),
    actor: z.object({
      keyId: z.string().nullable(),
      role: z.string(),
      merchantId: z.string().nullable(),
      affiliateId: z.string().nullable(),
    }),
    action: z.string().openapi({ example: 'program.update' }),
    objectType: z.string().openapi({ example: 'program' }),
    objectId: z.string().nullable().openapi({ example: 'prg_1' }),
    summary: z
      .object({
        // The request's body and the object as it was: any JSON, named here as JSON objects.
        before: z.record(z.string(), JsonValue).optional(),
        after: z.record(z.string(), JsonValue).optional(),
      })
      .openapi({ description: 'what changed, before → after; secrets are "[redacted]"' }),
    clientAddress: z.string(),
  })
  .openapi('AuditEntry');

const AuditQuery = z
  .object({
    actor: z.string().max(40).optional().openapi({ description: 'the key that acted ("key_3")' }),
    action: z.string().max(80).optional().openapi({ example: 'payout.paid' }),
    objectType: z.string().max(40).optional(),
    objectId: z.string().max(200).optional(),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'at or after this instant' }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'at or before this instant' }),
    cursor: z.string().max(40).optional().openapi({ description: 'nextCursor of the previous page' }),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

const getAuditRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: 'The audit log, newest first: who changed what, when and from where',
  description:
    "A merchant key sees its own tenant's rows; finance and admin see all. Pages follow nextCursor. format=csv answers the same page as CSV.",
  security: bearer,
  request: { query: AuditQuery },
  responses: {
    200: {
      description: 'A page of rows',
      content: {
        'application/json': { schema: z.object({ entries: z.array(AuditEntry), nextCursor: z.string().nullable() }) },
        'text/csv': { schema: z.string() },
      },
    },
    ...errorResponses(...authErrors, 'validation_failed'),
  },
});

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps, authorize: Authorize) {
  app.openapi(guarded(getAuditRoute, authorize('merchant', 'finance', 'admin')), async (c) => {
    const { format, ...q } = c.req.valid('query');
    const from = q.from === undefined ? undefined : new Date(q.from).toISOString();
    const to = q.to === undefined ? undefined : new Date(q.to).toISOString();
    const page = await listAudit(deps, c.get('principal'), { ...q, from, to });
    if (format === 'csv') {
      const text = stringify(
        page.entries.map((e) => Object.fromEntries(Object.entries(auditCsvRecord(e)).map(([k, v]) => [k, neutralizeCell(v)]))),
        { header: true, columns: [...AUDIT_CSV_COLUMNS], record_delimiter: '\r\n' },
      );
      const headers: Record<string, string> = {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="audit.csv"',
      };
      if (page.nextCursor) headers['x-next-cursor'] = page.nextCursor;
      return c.body(text, 200, headers) as never;
    }
    return c.json(page, 200);
  });
}
