import { createMiddleware } from 'hono/factory';
import type { Principal } from '../../core/principal';
import type { AppEnv } from '../env';
import { rateLimited } from './authorize';

/** Seconds a refused heavy request is told to wait: the what-if and the run's detail take about that. */
const RETRY_AFTER_SECONDS = 1;

/** The account a heavy request is counted against: the merchant or affiliate, else the key itself. */
function tenantOf(principal: Principal): string {
  if (principal.merchantId !== null) return `merchant:${principal.merchantId}`;
  if (principal.affiliateId !== null) return `affiliate:${principal.affiliateId}`;
  return `key:${principal.keyId}`;
}

/**
 * Heavy requests (the what-if, a payout run's detail, its CSV) run in time slices and so can
 * interleave without end: one tenant calling them in a loop would still take every slice. At
 * most `perTenant` run at once per tenant; one more is 429 `rate_limited` with Retry-After, and
 * other tenants are not affected. A streamed answer holds its place until the stream ends.
 * State per process (per isolate on Workers).
 */
export function tenantLimit(perTenant: number) {
  const running = new Map<string, number>();
  const release = (tenant: string) => {
    const n = (running.get(tenant) ?? 1) - 1;
    if (n <= 0) running.delete(tenant);
    else running.set(tenant, n);
  };
  return createMiddleware<AppEnv>(async (c, next) => {
    const tenant = tenantOf(c.get('principal'));
    const count = running.get(tenant) ?? 0;
    if (count >= perTenant) {
      return rateLimited(
        c,
        RETRY_AFTER_SECONDS,
        `${count} heavy requests (what-if, payout detail, exports) of this account are running; try again in ${RETRY_AFTER_SECONDS} s`,
      );
    }
    running.set(tenant, count + 1);
    let streaming = false;
    try {
      await next();
      const body = c.res.body;
      if (body && c.res.headers.get('content-type')?.startsWith('text/csv')) {
        c.res = new Response(
          releasedAtEnd(body, () => release(tenant)),
          c.res,
        );
        streaming = true;
      }
    } finally {
      if (!streaming) release(tenant);
    }
  });
}

/** The same bytes, calling `done` once when the stream ends, fails or the client goes away. */
function releasedAtEnd(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let released = false;
  const finish = () => {
    if (!released) {
      released = true;
      done();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          finish();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason);
    },
  });
}
