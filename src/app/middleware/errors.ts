import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../../core/deps';
import { AppError, errorBody } from '../../core/errors';

/**
 * A client that closes its connection before its body arrived: an everyday event on the open
 * internet, not a server fault. Node fails the body read with `aborted` (ECONNRESET).
 */
function clientWentAway(error: Error, c: Context): boolean {
  const code = (error as { code?: unknown }).code;
  return (code === 'ECONNRESET' && error.message === 'aborted') || c.req.raw.signal?.aborted === true;
}

/** Maps every thrown failure onto the one envelope; anything unexpected is a logged 500. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    if (clientWentAway(error, c)) {
      // One line, no stack: there is nothing to debug, and a flood of them must not bury real errors.
      // The error's message stays in the line, so a fault that met a departed client still shows.
      log.info('request aborted by the client', { method: c.req.method, path: c.req.path, error: error.message });
      return c.json(errorBody('bad_request', 'the request was aborted before it was read'), 400);
    }
    if (error instanceof AppError) return c.json(errorBody(error.code, error.message), error.status);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 413) return c.json(errorBody('payload_too_large', 'the body is too large'), 413);
      if (status === 400) {
        const message = error.message || 'bad request';
        const code = /json|content-type/i.test(message) ? 'invalid_json' : 'bad_request';
        return c.json(
          errorBody(code, code === 'invalid_json' ? 'the body must be valid JSON sent as application/json' : message),
          400,
        );
      }
      if (status === 401) return c.json(errorBody('unauthorized', error.message || 'unauthorized'), 401);
      if (status === 404) return c.json(errorBody('not_found', error.message || 'not found'), 404);
      if (status === 415)
        return c.json(
          errorBody('unsupported_media_type', 'send the body as JSON with the header content-type: application/json'),
          415,
        );
    }
    log.error('unhandled error', { error: error.stack ?? String(error), path: c.req.path });
    return c.json(errorBody('internal', 'internal error'), 500);
  };
}
