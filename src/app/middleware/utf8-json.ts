import type { MiddlewareHandler } from 'hono';
import { errorBody } from '../../core/errors';
import { decodeUtf8 } from '../utf8';

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\b/i;

/**
 * A JSON body must be UTF-8 (RFC 8259). Hono's c.req.json() decodes with replacement, so a
 * malformed byte would reach the store as U+FFFD in a name or an id; here every JSON route
 * refuses it once, before its validator. The bytes are read through c.req, which keeps them,
 * so the route's own read (raw bytes for a signature, or json()) costs no second read.
 */
export const utf8Json: MiddlewareHandler = async (c, next) => {
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) return next();
  // Read outside the try: a body over the limit fails here with the limit's own answer (413).
  if (decodeUtf8(await c.req.arrayBuffer()) === undefined)
    return c.json(errorBody('invalid_json', 'the body must be valid UTF-8 JSON'), 400);
  return next();
};
