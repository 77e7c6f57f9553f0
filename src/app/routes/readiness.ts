import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, ReadinessProbe } from '../../core/deps';
import type { AppEnv } from '../env';
import { AppError } from '../../core/errors';
import { errorResponses, json } from '../schemas/common';

/** A load balancer may poll every few hundred milliseconds: one round of probes serves them all for this long. */
const CACHE_MS = 1000;
/** A probe that hangs (an unreachable ClickHouse, a stuck disk) counts as failing after this. */
const PROBE_TIMEOUT_MS = 2000;

type Checks = Record<string, string>;
interface Round {
  atMs: number;
  ready: boolean;
  checks: Checks;
}

const ChecksSchema = z.record(z.string(), z.string()).openapi({ example: { store: 'ok', disk: 'ok', clickhouse: 'ok' } });

async function runProbe(probe: ReadinessProbe): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness, apart from liveness (/healthz): 503 while any dependency the traffic needs fails,
 * so a load balancer takes this node out instead of it losing clicks. The probes are the
 * runtime's (deps.readinessProbes); this runs them together and caches the round.
 */
export function registerReadinessRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps) {
  let last: Round | undefined;
  let running: Promise<Round> | undefined;

  const check = (): Promise<Round> => {
    const nowMs = deps.clock.now().getTime();
    if (last && nowMs - last.atMs < CACHE_MS) return Promise.resolve(last);
    running ??= (async () => {
      const probes = Object.entries(deps.readinessProbes ?? {});
      const results = await Promise.all(probes.map(async ([name, probe]) => [name, await runProbe(probe)] as const));
      const checks = Object.fromEntries(results);
      last = { atMs: nowMs, ready: results.every(([, result]) => result === 'ok'), checks };
      running = undefined;
      return last;
    })();
    return running;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['operations'],
      security: [],
      summary: 'Ready for traffic: the store takes a write, the disk has room, ClickHouse answers',
      description: `Each check is "ok" or what failed. Results are reused for ${CACHE_MS} ms.`,
      responses: {
        200: json(z.object({ status: z.literal('ready'), checks: ChecksSchema }), 'Every check passed'),
        // The one error envelope; its message names each failing check and why.
        ...errorResponses('unavailable'),
      },
    }),
    async (c) => {
      const round = await check();
      if (round.ready) return c.json({ status: 'ready' as const, checks: round.checks }, 200);
      const failing = Object.entries(round.checks).filter(([, result]) => result !== 'ok');
      throw new AppError('unavailable', `not ready: ${failing.map(([name, result]) => `${name} (${result})`).join('; ')}`);
    },
  );
}
