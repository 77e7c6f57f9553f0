import { z } from '@hono/zod-openapi';
import { isCurrency } from '../../domain/currency';
import { ERROR_CODES, type ErrorCode, errorStatus } from '../../core/errors';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
    }),
  })
  .openapi('Error');

const errorDescriptions: Partial<Record<ErrorCode, string>> = {
  invalid_json: 'The body is not valid JSON, or not JSON at all',
  unauthorized: 'Missing, unknown or revoked API key',
  invalid_signature: 'Missing or wrong webhook signature, or a timestamp more than five minutes away',
  forbidden: "The key's role may not use this route",
  not_found: 'No such object for this key (also for objects of another tenant)',
  conflict: 'The request conflicts with the current state',
  payload_too_large: 'The body is larger than the limit',
  validation_failed: 'The request does not match the schema',
  nothing_to_pay: 'Nothing to pay: the run would pay nobody, or the file would hold no row',
  bad_request: 'A query parameter is unknown or out of range',
  rate_limited:
    'Too many failed authentications from this address, or too many heavy requests (what-if, payout detail, payout CSV) of one account at once; Retry-After gives the seconds to wait',
  unavailable: 'A store the answer needs (ClickHouse) failed or is not configured; nothing was read as zero',
  timeout: 'The query ran longer than the report time limit',
};

/** The documented error responses of a route, each with the one envelope. */
export function errorResponses(...codes: ErrorCode[]) {
  const responses: Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }> = {};
  for (const code of codes) {
    const status = errorStatus[code];
    const description = errorDescriptions[code] ?? code;
    const existing = responses[status];
    responses[status] = {
      description: existing ? `${existing.description}; ${description}` : description,
      content: { 'application/json': { schema: ErrorSchema } },
    };
  }
  return responses;
}

/** Every authenticated JSON route can answer these. */
export const authErrors = [
  'unauthorized',
  'forbidden',
  'rate_limited',
  'payload_too_large',
] as const satisfies readonly ErrorCode[];
export const bodyErrors = ['invalid_json', 'validation_failed'] as const satisfies readonly ErrorCode[];

export const CurrencySchema = z
  .string()
  .refine(isCurrency, { message: 'must be an ISO 4217 currency code such as "EUR"' })
  .openapi({ example: 'EUR' });

export const NameSchema = z.string().trim().min(1).max(200);

/**
 * A list route that takes no query parameters: one it does not know is refused (422), never
 * ignored, so `?affiliateId=…` on a route without that filter cannot look like it worked.
 */
export const NoQuery = z.object({}).strict();

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  after: z
    .string()
    .max(40)
    .optional()
    .openapi({ param: { name: 'after', in: 'query' }, description: 'cursor: the last id of the previous page' }),
});

/** A path parameter holding a public id ("prg_1"). */
export const pathId = (name: string) =>
  z
    .string()
    .max(40)
    .openapi({ param: { name, in: 'path' } });

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

export const bearer = [{ bearer: [] }];
