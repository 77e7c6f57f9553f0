import { readFileSync } from 'node:fs';
import { type Agent, request } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * Signed Standard Webhooks `order.created` events and the means to send them and to read the
 * server's CPU time: shared by `npm run bench:orders` and `npm run bench:orders:ab`.
 */

const REQUEST_TIMEOUT_MS = 30_000;
/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux everywhere it runs). */
const CLOCK_TICKS_PER_S = 100;

export interface SignedEvent {
  headers: Record<string, string | number>;
  body: Buffer;
}

/** `count` signed `order.created` events for distinct orders, all signed now; `attributed` % carry `clickId`. */
export function buildEvents(
  secret: string,
  programId: string,
  prefix: string,
  count: number,
  attributed: { percent: number; clickId?: string },
): SignedEvent[] {
  const webhook = new Webhook(secret);
  const signedAt = new Date();
  const timestamp = String(Math.floor(signedAt.getTime() / 1000));
  const occurredAt = signedAt.toISOString();
  const events: SignedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    const body = JSON.stringify({
      type: 'order.created',
      programId,
      order: {
        id,
        // Bresenham-style spread: exactly `percent` of every 100 consecutive orders.
        ...(attributed.clickId && Math.floor(((i + 1) * attributed.percent) / 100) > Math.floor((i * attributed.percent) / 100)
          ? { clickId: attributed.clickId }
          : {}),
        currency: 'EUR',
        customerId: `cust-${i}`,
        shipping: '4.90',
        items: [
          { sku: `SKU-${i % 50}`, category: 'shoes', quantity: 1 + (i % 3), unitPrice: '49.90', discount: '5.00' },
          { sku: 'SOCKS', category: 'accessories', quantity: 2, unitPrice: '7.50' },
        ],
      },
      occurredAt,
    });
    const webhookId = `msg_${prefix}_${i}`;
    events.push({
      body: Buffer.from(body),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'webhook-id': webhookId,
        'webhook-timestamp': timestamp,
        'webhook-signature': webhook.sign(webhookId, signedAt, body),
      },
    });
  }
  return events;
}

export type Outcome = { ok: true; ms: number } | { ok: false; ms: number; problem: string };

export function post(agent: Agent, port: number, event: SignedEvent): Promise<Outcome> {
  return new Promise((resolveOutcome) => {
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    let done = false;
    const finish = (outcome: Outcome) => {
      if (!done) {
        done = true;
        resolveOutcome(outcome);
      }
    };
    const req = request({ host: '127.0.0.1', port, path: '/v1/orders', method: 'POST', agent, headers: event.headers }, (res) => {
      const status = res.statusCode ?? 0;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (status !== 200) text += chunk;
      });
      res.on('error', (error) => finish({ ok: false, ms: ms(), problem: String(error) }));
      res.on('end', () =>
        finish(status === 200 ? { ok: true, ms: ms() } : { ok: false, ms: ms(), problem: `${status} ${text.slice(0, 200)}` }),
      );
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timeout')));
    req.on('error', (error) => finish({ ok: false, ms: ms(), problem: String(error) }));
    req.end(event.body);
  });
}

/**
 * The server's CPU time so far (user + system, all threads) from /proc, in ms; undefined where
 * there is no /proc. CPU per order moves far less than orders/s when other work shares the cores.
 */
export function processCpuMs(pid: number): { total: number; system: number } | undefined {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const system = (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_S;
    return { total: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_S + system, system };
  } catch {
    return undefined;
  }
}
