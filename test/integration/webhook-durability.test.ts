/**
 * kill -9 mid-delivery loses no webhook (docs/webhooks.md, "Delivery across a crash").
 *
 * The real server runs as a child process with the dispatcher on a 1 s timer. A receiver on
 * 127.0.0.1 takes every request and holds it unanswered, so the dispatcher's first attempts are
 * in flight, and the rest claimed, when the server gets SIGKILL (no shutdown hook). The server is
 * restarted on the same DATA_DIR, the receiver now answers 200 at once, and every sale.created
 * of every order accepted before the kill must arrive, signed (verified with standardwebhooks),
 * the interrupted ones again under the webhook-id they had. The store then shows every delivery
 * delivered.
 *
 * How it fails: without the start-up hand-back (releaseClaims), the interrupted deliveries wait
 * for their lease (3 × timeout + 1 min = 90 s) and the wait below runs out.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllServers, makeTempDir, removeDir, type ServerProcess, startServer } from '../support/server-process';
import { seedLink } from '../support/seed-link';
import { orderEvent, signedHeaders } from '../support/shop';

const ORDERS = 20;
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

interface Hit {
  headers: IncomingMessage['headers'];
  body: string;
  answered: boolean;
}

const dataDir = makeTempDir('clickledger-webhook-kill-');
afterAll(() => {
  killAllServers();
  removeDir(dataDir);
});

describe('webhook delivery across kill -9', () => {
  it('sends every event at least once after a restart, the interrupted ones again under the same webhook-id', async () => {
    let holding = true;
    const hits: Hit[] = [];
    const held: ServerResponse[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const hit: Hit = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: !holding };
        hits.push(hit);
        if (holding) held.push(res);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const env = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_INTERVAL_SECONDS: '1', BATCH_INTERVAL_SECONDS: '0' };

    let server: ServerProcess = await startServer({ dataDir, env });
    try {
      const seeded = await seedLink(server.url);
      const made = await fetch(`${server.url}/v1/webhook-endpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${seeded.merchantKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiverUrl, events: ['sale.created'] }),
      });
      expect(made.status).toBe(201);
      const { secret } = (await made.json()) as { secret: string };

      const clicked = await fetch(`${server.url}/c/${seeded.code}`, {
        redirect: 'manual',
        headers: { 'user-agent': BROWSER_UA },
      });
      const clickId = new URL(clicked.headers.get('location')!).searchParams.get('clid')!;
      const sent: string[] = [];
      for (let i = 1; i <= ORDERS; i++) {
        const now = new Date().toISOString();
        const body = JSON.stringify(orderEvent(seeded.programId, 'order.paid', { id: `K-${i}`, clickId, placedAt: now }, now));
        const res = await fetch(`${server.url}/v1/orders`, {
          method: 'POST',
          headers: signedHeaders(seeded.webhookSecret, body),
          body,
        });
        expect(res.status).toBe(200);
        sent.push(`K-${i}`);
      }

      // The dispatcher's requests are in flight, unanswered: kill it there.
      await waitFor(() => hits.length >= 1, 15_000, 'the first delivery reached the receiver');
      await new Promise((r) => setTimeout(r, 300));
      const interrupted = hits.map((h) => String(h.headers['webhook-id']));
      const exit = await server.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      for (const res of held) res.destroy();
      holding = false;

      server = await startServer({ dataDir, env });
      const verifier = new Webhook(secret);
      const answeredOrders = () =>
        new Set(
          hits
            .filter((h) => h.answered)
            .map((h) => (verifier.verify(h.body, h.headers as Record<string, string>) as { data: { id: string } }).data.id),
        );
      await waitFor(() => answeredOrders().size === ORDERS, 30_000, `all ${ORDERS} events answered after the restart`);

      expect([...answeredOrders()].sort()).toEqual([...sent].sort());
      expect(server.output()).toMatch(/webhook deliveries interrupted by the last stop, sent again: \d+/);
      // At least once: each interrupted delivery came again, under the webhook-id it had.
      expect(interrupted.length).toBeGreaterThan(0);
      const answeredIds = new Set(hits.filter((h) => h.answered).map((h) => String(h.headers['webhook-id'])));
      for (const id of interrupted) expect(answeredIds.has(id), id).toBe(true);
      // Nothing invented: one event per order, each arriving under a single id.
      expect(answeredIds.size).toBe(ORDERS);

      await server.kill('SIGTERM');
      const db = new BetterSqlite3(join(dataDir, 'clickledger.sqlite'), { readonly: true });
      try {
        expect(db.prepare('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status').all()).toEqual([
          { status: 'delivered', n: ORDERS },
        ]);
        expect(db.prepare('SELECT count(*) AS n FROM webhook_deliveries WHERE claimed_at IS NOT NULL').get()).toEqual({ n: 0 });
      } finally {
        db.close();
      }
    } finally {
      await server.kill('SIGKILL');
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  }, 90_000);
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
