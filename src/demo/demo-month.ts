import type { AppCrypto } from '../core/deps';
import { signWebhook, webhookSecretKey } from '../domain/webhook-signature';

/**
 * A realistic month for a fresh instance, made only through the public API (the same routes a
 * shop, affiliates and finance use), so what the dashboards show afterwards is what real traffic
 * would have produced: clicks (bots among them), orders with refunds and cancellations, held
 * orders, a commission batch each simulated day, and two payout runs. Deterministic: the same
 * `end` gives the same data.
 */
export interface DemoTarget {
  /** The app's own fetch (app.request): the demo runs in-process, with the clock it moves. */
  request(path: string, init: RequestInit): Response | Promise<Response>;
  /** Moves the app's clock: clicks, webhook timestamps and batches happen "then". */
  setNow(date: Date): void;
  adminKey: string;
  /** The request header the app reads the visitor's IP from in this setup. */
  ipHeader: string;
  crypto: Pick<AppCrypto, 'hmacSha256'>;
}

export interface DemoAccounts {
  merchant: { id: string; apiKey: string; name: string };
  otherMerchant: { id: string; apiKey: string; name: string };
  affiliates: { id: string; apiKey: string; name: string }[];
  finance: { apiKey: string };
  programs: { id: string; name: string; merchant: string }[];
  counts: { clicks: number; orders: number; refunds: number; cancellations: number; held: number };
  /** The payout run finance marked paid on day 21 (the clawback order's commission is in it). */
  paidRun: string;
}

export interface DemoOptions {
  /** The last moment of the month; the month is the 30 days before it. */
  end: Date;
  /** Clicks per link per day, at most (small keeps the browser tests quick). */
  clicksPerLinkDay?: number;
  log?: (line: string) => void;
}

const DAY_MS = 24 * 3600 * 1000;

/** The demo's merchant order ids of the one order in each state (Acme Outdoor; the held one is Bikes'). */
export const SHOWCASE = {
  held: 'B-HELD-1',
  refunded: 'A-REFUNDED-1',
  cancelled: 'A-CANCELLED-1',
  clawback: 'A-CLAWBACK-1',
} as const;
const HUMAN_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0',
];
const BOT_UAS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
];
const COUNTRIES = ['DE', 'DE', 'DE', 'AT', 'FR', 'NL', 'CH'];

interface Product {
  sku: string;
  category: string;
  cents: number;
}
const CATALOG: Record<string, Product[]> = {
  outdoor: [
    { sku: 'TENT-2P', category: 'camping', cents: 18900 },
    { sku: 'JACKET-RAIN', category: 'apparel', cents: 12990 },
    { sku: 'GPS-TRAIL', category: 'electronics', cents: 24900 },
    { sku: 'SOCKS-MERINO', category: 'apparel', cents: 1250 },
    { sku: 'STOVE-MINI', category: 'camping', cents: 5990 },
  ],
  bikes: [
    { sku: 'BIKE-CITY', category: 'bikes', cents: 89900 },
    { sku: 'HELMET', category: 'accessories', cents: 7900 },
    { sku: 'LIGHTS-USB', category: 'electronics', cents: 3990 },
  ],
  kitchen: [
    { sku: 'KNIFE-CHEF', category: 'knives', cents: 8950 },
    { sku: 'PAN-CAST', category: 'cookware', cents: 4990 },
  ],
};

/** mulberry32: a tiny seeded generator, so the demo month is the same every time. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!,
  };
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

type Timed = { at: number; run: () => Promise<void> };

export async function seedDemoMonth(target: DemoTarget, options: DemoOptions): Promise<DemoAccounts> {
  const rnd = prng(20261125);
  const log = options.log ?? (() => {});
  const end = options.end.getTime();
  const start = end - 30 * DAY_MS;
  const perLink = options.clicksPerLinkDay ?? 12;
  let deliveries = 0;

  async function call<T>(
    method: string,
    path: string,
    key: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const h = new Headers(headers);
    if (key) h.set('authorization', `Bearer ${key}`);
    if (body !== undefined) h.set('content-type', 'application/json');
    const response = await target.request(path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok && response.status !== 302)
      throw new Error(`demo: ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (response.status === 302 ? response : await response.json()) as T;
  }

  target.setNow(new Date(start - 3600 * 1000));
  const admin = target.adminKey;
  const account = async (path: string, body: unknown) =>
    call<{ id: string; apiKey: string; webhookSecret: string }>('POST', path, admin, body);
  const merchant = { ...(await account('/v1/merchants', { name: 'Acme Outdoor' })), name: 'Acme Outdoor' };
  const other = { ...(await account('/v1/merchants', { name: 'Blue Kitchen' })), name: 'Blue Kitchen' };
  const names = ['Trail Blog', 'Deal Hunter', 'Gear Reviews', 'Kitchen Tips'];
  const affiliates: { id: string; apiKey: string; name: string }[] = [];
  for (const [i, name] of names.entries()) {
    const extra = i === 2 ? { parentId: affiliates[0]!.id } : {};
    const created = await account('/v1/affiliates', {
      name,
      email: `${name.toLowerCase().replace(/ /g, '.')}@example.com`,
      ...extra,
    });
    affiliates.push({ id: created.id, apiKey: created.apiKey, name });
  }
  const finance = await call<{ apiKey: string }>('POST', '/v1/finance-keys', admin, {});
  await call('PATCH', '/v1/affiliates/me', affiliates[0]!.apiKey, {
    payoutMethod: 'paypal',
    payoutDetails: { email: 'payouts@trail-blog.example' },
  });
  await call('PATCH', '/v1/affiliates/me', affiliates[1]!.apiKey, {
    payoutMethod: 'bank',
    payoutDetails: { iban: 'DE89370400440532013000', accountHolder: 'Deal Hunter GmbH' },
  });

  const program = async (key: string, name: string, host: string, extra: Record<string, unknown>) => {
    const created = await call<{ id: string }>('POST', '/v1/programs', key, {
      name,
      landingUrl: `https://${host}/`,
      allowedDomains: [host],
      currency: 'EUR',
      cookieDays: 30,
      lockDays: 7,
      ...extra,
    });
    return { id: created.id, name, host };
  };
  const outdoor = await program(merchant.apiKey, 'Outdoor gear', 'outdoor.example', {
    plan: {
      default: { percent: '8' },
      rules: [
        { category: 'electronics', percent: '3' },
        { newCustomer: true, bonusFlat: '2.00' },
      ],
      maxPerOrder: '100.00',
      parentPercent: '10',
    },
  });
  const bikes = await program(merchant.apiKey, 'Bikes', 'bikes.example', {
    plan: { default: { percent: '5' } },
    fraudChecks: { minClickToOrderSeconds: 60 },
  });
  const kitchen = await program(other.apiKey, 'Kitchen', 'kitchen.example', { plan: { default: { percent: '10' } } });
  const members: [typeof outdoor, string, number[]][] = [
    [outdoor, merchant.apiKey, [0, 1, 2]],
    [bikes, merchant.apiKey, [0, 1]],
    [kitchen, other.apiKey, [0, 3]],
  ];
  const catalogOf = new Map([
    [outdoor.id, CATALOG.outdoor!],
    [bikes.id, CATALOG.bikes!],
    [kitchen.id, CATALOG.kitchen!],
  ]);
  const secretOf = new Map([
    [outdoor.id, merchant.webhookSecret],
    [bikes.id, merchant.webhookSecret],
    [kitchen.id, other.webhookSecret],
  ]);

  interface DemoLink {
    code: string;
    programId: string;
    weight: number;
  }
  const links: DemoLink[] = [];
  const placements = ['newsletter', 'sidebar', 'instagram', 'review'];
  for (const [prog, merchantKey, who] of members) {
    for (const i of who) {
      await call('POST', `/v1/programs/${prog.id}/affiliates`, merchantKey, { affiliateId: affiliates[i]!.id });
      for (let n = 0; n < 2; n++) {
        const product = catalogOf.get(prog.id)![n]!;
        const link = await call<{ code: string }>('POST', '/v1/links', affiliates[i]!.apiKey, {
          programId: prog.id,
          url: `https://${prog.host}/p/${product.sku.toLowerCase()}`,
          sub1: placements[(i + n) % placements.length],
          ...(n === 1 ? { sub2: 'nov-campaign' } : {}),
        });
        links.push({ code: link.code, programId: prog.id, weight: 0.4 + rnd.next() });
      }
    }
  }

  const counts = { clicks: 0, orders: 0, refunds: 0, cancellations: 0, held: 0 };
  const events: Timed[] = [];

  const click = async (link: DemoLink, visitor: number, ua: string): Promise<string | null> => {
    const response = (await call<Response>('GET', `/c/${link.code}`, undefined, undefined, {
      'user-agent': ua,
      [target.ipHeader]: `198.51.${visitor >> 8}.${visitor & 255}`,
      'cf-ipcountry': COUNTRIES[visitor % COUNTRIES.length]!,
    })) as Response;
    counts.clicks++;
    const location = response.headers.get('location');
    return location ? new URL(location).searchParams.get('clid') : null;
  };

  const sendOrder = async (programId: string, type: string, order: Record<string, unknown>, at: number) => {
    const body = JSON.stringify({ type, programId, order, occurredAt: new Date(at).toISOString() });
    const id = `msg_demo_${++deliveries}`;
    const timestamp = String(Math.floor(at / 1000));
    const key = webhookSecretKey(secretOf.get(programId)!)!;
    const signature = signWebhook(id, timestamp, new TextEncoder().encode(body), key, target.crypto.hmacSha256);
    const response = await target.request('/v1/orders', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': signature,
      },
    });
    if (!response.ok) throw new Error(`demo: order event ${type} answered ${response.status}: ${await response.text()}`);
  };

  // Plan the month: each day, clicks on every link through the day; some visitors buy.
  let orderNo = 1000;
  for (let day = 0; day < 30; day++) {
    const dayStart = start + day * DAY_MS;
    // Two busier days a week, and a month that grows a little towards its end. The week is
    // counted from the month's first day, not read off the calendar: the demo's content (which
    // orders exist, which are refunded) must be the same whatever date it is seeded on.
    const busy = (day % 7 >= 5 ? 1.4 : 1) * (0.8 + day / 60);
    for (const link of links) {
      const clicks = Math.round(rnd.int(0, perLink) * link.weight * busy);
      for (let n = 0; n < clicks; n++) {
        const at = dayStart + rnd.int(6, 22) * 3600 * 1000 + rnd.int(0, 3599) * 1000;
        const visitor = rnd.int(1, 4000);
        const bot = rnd.next() < 0.08;
        const ua = bot ? rnd.pick(BOT_UAS) : rnd.pick(HUMAN_UAS);
        const buys = !bot && rnd.next() < 0.07;
        const fast = buys && link.programId === bikes.id && rnd.next() < 0.3;
        const orderId = buys ? `${link.programId === kitchen.id ? 'K' : 'A'}-${++orderNo}` : '';
        const items = buys ? basket(catalogOf.get(link.programId)!) : [];
        const order = {
          id: orderId,
          customerId: `cus_${visitor}`,
          newCustomer: rnd.next() < 0.4,
          currency: 'EUR',
          shipping: '4.90',
          items,
        };
        const placedAt = at + (fast ? rnd.int(15, 40) * 1000 : rnd.int(5, 90) * 60 * 1000);
        const fate = rnd.next();
        const completeAfter = rnd.int(2, 5) * DAY_MS;
        events.push({
          at,
          run: async () => {
            const clickId = await click(link, visitor, ua);
            if (!buys || !clickId) return;
            events.push({
              at: placedAt,
              run: async () => {
                const placed = { ...order, clickId, placedAt: new Date(placedAt).toISOString() };
                await sendOrder(link.programId, 'order.created', placed, placedAt);
                await sendOrder(link.programId, 'order.paid', placed, placedAt + 60_000);
                counts.orders++;
                if (fast) counts.held++;
                if (fate < 0.04) {
                  counts.cancellations++;
                  schedule(placedAt + DAY_MS / 2, () =>
                    sendOrder(link.programId, 'order.cancelled', placed, placedAt + DAY_MS / 2),
                  );
                } else if (fate < 0.16) {
                  // A return before completion: one unit of the first line, or all of it.
                  counts.refunds++;
                  const refunded = {
                    ...placed,
                    items: placed.items.map((item, i) =>
                      i === 0 ? { ...item, refundedQuantity: fate < 0.08 ? item.quantity : 1 } : item,
                    ),
                  };
                  schedule(placedAt + completeAfter - DAY_MS, () =>
                    sendOrder(link.programId, 'order.refunded', refunded, placedAt + completeAfter - DAY_MS),
                  );
                  schedule(placedAt + completeAfter, () =>
                    sendOrder(link.programId, 'order.completed', refunded, placedAt + completeAfter),
                  );
                } else {
                  schedule(placedAt + completeAfter, () =>
                    sendOrder(link.programId, 'order.completed', placed, placedAt + completeAfter),
                  );
                }
              },
            });
          },
        });
      }
    }
    // The batch at the end of each day, as the server's timer would have run it.
    const batchAt = dayStart + DAY_MS - 1000;
    events.push({ at: batchAt, run: () => batch(batchAt) });
  }

  function basket(catalog: Product[]) {
    const lines = rnd.int(1, Math.min(2, catalog.length));
    const picked = new Set<Product>();
    while (picked.size < lines) picked.add(rnd.pick(catalog));
    return [...picked].map((p) => {
      const quantity = p.cents < 2000 ? rnd.int(1, 4) : 1;
      const discount = rnd.next() < 0.2 ? Math.round(p.cents * quantity * 0.1) : 0;
      return { sku: p.sku, category: p.category, quantity, unitPrice: money(p.cents), discount: money(discount) };
    });
  }
  function schedule(at: number, run: () => Promise<void>) {
    if (at < end) events.push({ at, run });
  }
  let lastBatch = 0;
  let firstPayout: string | undefined;
  async function batch(at: number) {
    if (at > end) return;
    await call('POST', '/v1/admin/batch', admin, { asOf: new Date(at).toISOString() });
    lastBatch = at;
    // Finance pays out the first three weeks' approved money once, on day 21.
    if (!firstPayout && at >= start + 21 * DAY_MS) {
      const run = await call<{ id: string }>('POST', '/v1/payouts', finance.apiKey, {
        asOf: new Date(at).toISOString(),
        minimumAmount: '10.00',
      });
      await call('POST', `/v1/payouts/${run.id}/paid`, finance.apiKey);
      firstPayout = run.id;
    }
  }

  // One order of each state a person should be able to find, at fixed days of the month and with
  // ids that say what they are, so no state depends on the dice (nor on the date it is seeded on).
  // They draw nothing from `rnd`: the month's random traffic stays the same with or without them.
  let showcased = 0;
  const showcaseLink = (programId: string) => links.find((l) => l.programId === programId)!;
  const showcase = (
    id: string,
    link: DemoLink,
    day: number,
    secondsToOrder: number,
    product: Product,
    later: { type: 'order.cancelled' | 'order.refunded' | 'order.completed'; afterDays: number }[],
  ) => {
    const at = start + day * DAY_MS + 10 * 3600 * 1000;
    const placedAt = at + secondsToOrder * 1000;
    const visitor = 4001 + showcased++;
    const items = [
      { sku: product.sku, category: product.category, quantity: 1, unitPrice: money(product.cents), discount: '0.00' },
    ];
    events.push({
      at,
      run: async () => {
        const clickId = await click(link, visitor, HUMAN_UAS[0]!);
        if (!clickId) throw new Error(`demo: the click for ${id} was not recorded`);
        const placed = {
          id,
          customerId: `cus_${id.toLowerCase()}`,
          newCustomer: false,
          currency: 'EUR',
          shipping: '4.90',
          items,
          clickId,
          placedAt: new Date(placedAt).toISOString(),
        };
        events.push({
          at: placedAt,
          run: async () => {
            await sendOrder(link.programId, 'order.created', placed, placedAt);
            await sendOrder(link.programId, 'order.paid', placed, placedAt + 60_000);
            counts.orders++;
            for (const step of later) {
              const when = placedAt + step.afterDays * DAY_MS;
              const order =
                step.type === 'order.refunded' ? { ...placed, items: items.map((l) => ({ ...l, refundedQuantity: 1 })) } : placed;
              schedule(when, () => sendOrder(link.programId, step.type, order, when));
            }
          },
        });
      },
    });
  };
  const tent = CATALOG.outdoor![0]!;
  // Completed on day 3, approved after the 7-day lock, paid in the day-21 run, refunded on day 24:
  // the refund after payout is a clawback entry.
  showcase(SHOWCASE.clawback, showcaseLink(outdoor.id), 1, 1800, tent, [
    { type: 'order.completed', afterDays: 2 },
    { type: 'order.refunded', afterDays: 23 },
  ]);
  showcase(SHOWCASE.refunded, showcaseLink(outdoor.id), 22, 1800, tent, [{ type: 'order.refunded', afterDays: 2 }]);
  showcase(SHOWCASE.cancelled, showcaseLink(outdoor.id), 25, 1800, tent, [{ type: 'order.cancelled', afterDays: 0.5 }]);
  // Ordered 20 s after the click; Bikes asks for at least 60 s, so the order waits for the merchant.
  showcase(SHOWCASE.held, showcaseLink(bikes.id), 27, 20, CATALOG.bikes![1]!, []);
  counts.refunds += 2;
  counts.cancellations++;
  counts.held++;

  // Run everything in time order; events scheduled while running join the queue in place.
  let done = 0;
  while (events.length > 0) {
    events.sort((a, b) => b.at - a.at);
    const next = events.pop()!;
    if (next.at > end) continue;
    target.setNow(new Date(next.at));
    await next.run();
    if (++done % 500 === 0) log(`  ${done} events, ${counts.clicks} clicks, ${counts.orders} orders`);
  }
  target.setNow(new Date(end));
  await batch(end);
  // A second run waits for finance in the dashboard: created, not yet paid.
  if (lastBatch === end)
    await call('POST', '/v1/payouts', finance.apiKey, { asOf: new Date(end).toISOString(), minimumAmount: '10.00' }).catch(
      () => undefined,
    );
  log(
    `demo month: ${counts.clicks} clicks, ${counts.orders} orders (${counts.refunds} refunded, ${counts.cancellations} cancelled, ${counts.held} held)`,
  );
  return {
    merchant: { id: merchant.id, apiKey: merchant.apiKey, name: merchant.name },
    otherMerchant: { id: other.id, apiKey: other.apiKey, name: other.name },
    affiliates,
    finance: { apiKey: finance.apiKey },
    programs: [
      { id: outdoor.id, name: outdoor.name, merchant: merchant.id },
      { id: bikes.id, name: bikes.name, merchant: merchant.id },
      { id: kitchen.id, name: kitchen.name, merchant: other.id },
    ],
    counts,
    paidRun: firstPayout!,
  };
}
