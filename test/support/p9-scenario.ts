import { orderEvent, sendOrder, type OrderItemInput } from './shop';
import { approve, createAffiliate, createLink, createMerchant, createProgram, TEST_IP_HEADER, type TestApp } from './test-app';
import { prng } from './prng';

/**
 * A deterministic shop history for the P9 batch-replay test: a few affiliates (one recruited by
 * another) in two programs over three months, orders with random lines and random event
 * histories (paid, completed, partial and full refunds, cancellations), orders placed seconds
 * after the click (held by `minClickToOrderSeconds`, some released or rejected later), a plan
 * change and a custom rate mid-way. Everything comes from a seeded PRNG, so the same seed gives
 * the same actions in the same order, at the same (test clock) times.
 *
 * The history is a timeline of actions replayed through the real HTTP API (clicks on tracking
 * links, signed order webhooks, merchant release/reject, plan PATCH, custom rate PUT) with the
 * test clock moved to each action's time first. `replay` can drive several apps in lockstep, so
 * two databases receive exactly the same requests at the same clock times.
 */

const DAY = 86_400_000;
export const SCENARIO_START = Date.parse('2026-01-01T00:00:00.000Z');
const FIRST_ORDER = Date.parse('2026-01-03T00:00:00.000Z');
const LAST_ORDER = Date.parse('2026-03-31T23:00:00.000Z');
/** No action after this; the final batch runs as of it. */
export const SCENARIO_END = Date.parse('2026-04-20T00:00:00.000Z');

export const PROGRAMS = [
  {
    key: 'P1',
    lockDays: 14,
    fraudChecks: { minClickToOrderSeconds: 30 },
    plan: {
      default: { percent: '6' },
      rules: [
        { sku: 'GIFT', flat: '1.50' },
        { category: 'shoes', percent: '9.5' },
        { newCustomer: true, bonusFlat: '4.00' },
      ],
      tiers: [
        { monthlySalesOver: '3000.00', percent: '7.25' },
        { monthlySalesOver: '9000.00', percent: '8.5' },
      ],
      maxPerOrder: '30.00',
      parentPercent: '10',
      excludeNonCash: true,
    },
  },
  {
    key: 'P2',
    lockDays: 30,
    fraudChecks: { minClickToOrderSeconds: 20 },
    plan: {
      default: { percent: '4' },
      rules: [
        { category: 'books', percent: '2.5' },
        { sku: 'VIP', bonusFlat: '2.00' },
      ],
      tiers: [{ monthlySalesOver: '2000.00', percent: '5' }],
      maxPerOrder: '20.00',
      parentPercent: '7.5',
    },
  },
] as const;

/** P2's plan from mid-February on (a new plan version: earlier orders keep version 1). */
const P2_PLAN_V2 = {
  default: { percent: '4.5' },
  rules: [
    { category: 'books', percent: '3' },
    { sku: 'VIP', bonusFlat: '2.50' },
    { newCustomer: true, bonusFlat: '1.00' },
  ],
  tiers: [
    { monthlySalesOver: '1500.00', percent: '5.5' },
    { monthlySalesOver: '5000.00', percent: '6' },
  ],
  maxPerOrder: '18.00',
  parentPercent: '7.5',
};

/** Index 0 is the recruiter; affiliates 1 and 3 were recruited by it. */
export const AFFILIATES = [
  { name: 'Recruiter', parent: null, weight: 10 },
  { name: 'Blog A', parent: 0, weight: 30 },
  { name: 'Coupons B', parent: null, weight: 25 },
  { name: 'Video C', parent: 0, weight: 20 },
  { name: 'Forum D', parent: null, weight: 15 },
] as const;

const CATALOG = [
  { sku: 'SHOE-RUN', category: 'shoes' },
  { sku: 'SHOE-TRAIL', category: 'shoes' },
  { sku: 'BOOK-1', category: 'books' },
  { sku: 'BOOK-2', category: 'books' },
  { sku: 'GIFT', category: 'gifts' },
  { sku: 'VIP', category: 'apparel' },
  { sku: 'TEE', category: 'apparel' },
  { sku: 'MUG', category: 'home' },
] as const;

interface Line {
  sku: string;
  category: string;
  quantity: number;
  unitPriceMinor: number;
  discountMinor: number;
}

export interface ScenarioOrder {
  externalId: string;
  program: number;
  affiliate: number;
  placedAt: number;
  click: string;
  lines: Line[];
  newCustomer: boolean;
  customerId: string;
  nonCashMinor: number;
}

export type Action =
  | { at: number; kind: 'click'; click: string; affiliate: number; program: number }
  | { at: number; kind: 'event'; order: number; type: string; refunded?: number[] }
  | { at: number; kind: 'review'; order: number; decision: 'release' | 'reject' }
  | { at: number; kind: 'plan'; program: number; plan: unknown }
  | { at: number; kind: 'rate'; program: number; affiliate: number; percent: string };

export interface Scenario {
  orders: ScenarioOrder[];
  /** Sorted by time; ties keep generation order. */
  actions: Action[];
}

export function buildScenario(seed: number, orderCount: number): Scenario {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const chance = (p: number) => rand() < p;
  const totalWeight = AFFILIATES.reduce((n, a) => n + a.weight, 0);
  const pickAffiliate = () => {
    let r = rand() * totalWeight;
    for (let i = 0; i < AFFILIATES.length; i++) if ((r -= AFFILIATES[i]!.weight) < 0) return i;
    return AFFILIATES.length - 1;
  };

  const orders: ScenarioOrder[] = [];
  const actions: (Action & { seq: number })[] = [];
  let seq = 0;
  const push = (a: Action) => {
    if (a.at < SCENARIO_END) actions.push({ ...a, seq: seq++ });
  };
  push({ at: Date.parse('2026-02-15T12:00:00.000Z'), kind: 'plan', program: 1, plan: P2_PLAN_V2 });
  push({ at: Date.parse('2026-03-01T00:00:00.000Z'), kind: 'rate', program: 0, affiliate: 4, percent: '11' });

  // Ordinary orders share one click per affiliate, program and day (made at 00:00, orders from
  // 00:10 on, inside the 30-day cookie); "fast" orders get their own click seconds before.
  const dailyClicks = new Set<string>();
  for (let n = 0; n < orderCount; n++) {
    const program = chance(0.6) ? 0 : 1;
    const affiliate = pickAffiliate();
    const dayStart = FIRST_ORDER + Math.floor(rand() * ((LAST_ORDER - FIRST_ORDER) / DAY)) * DAY;
    const placedAt = dayStart + int(10 * 60, 23 * 3600) * 1000;
    const fast = chance(0.08);
    let click: string;
    if (fast) {
      click = `fast-${n}`;
      push({ at: placedAt - int(2, 25) * 1000, kind: 'click', click, affiliate, program });
    } else {
      click = `day-${affiliate}-${program}-${dayStart}`;
      if (!dailyClicks.has(click)) {
        dailyClicks.add(click);
        push({ at: dayStart, kind: 'click', click, affiliate, program });
      }
    }
    const lines: Line[] = [];
    const lineCount = int(1, 4);
    for (let l = 0; l < lineCount; l++) {
      const item = CATALOG[int(0, CATALOG.length - 1)]!;
      const quantity = int(1, 4);
      const unitPriceMinor = int(299, 18_000);
      const discountMinor = chance(0.2) ? int(1, Math.floor((quantity * unitPriceMinor) / 10)) : 0;
      lines.push({ ...item, quantity, unitPriceMinor, discountMinor });
    }
    const goods = lines.reduce((s, l) => s + l.quantity * l.unitPriceMinor - l.discountMinor, 0);
    const order: ScenarioOrder = {
      externalId: `O-${String(n).padStart(6, '0')}`,
      program,
      affiliate,
      placedAt,
      click,
      lines,
      newCustomer: chance(0.3),
      customerId: `cust-${int(1, 5000)}`,
      nonCashMinor: chance(0.1) ? int(1, Math.floor(goods / 5)) : 0,
    };
    orders.push(order);

    // The event history.
    if (chance(0.04)) {
      push({ at: placedAt, kind: 'event', order: n, type: 'order.created' });
    } else {
      push({ at: placedAt, kind: 'event', order: n, type: 'order.paid' });
    }
    let t = placedAt;
    if (chance(0.07)) {
      push({ at: placedAt + int(3600, 3 * 86_400) * 1000, kind: 'event', order: n, type: 'order.cancelled' });
    } else {
      const refunded = lines.map(() => 0);
      const completes = chance(0.8);
      if (completes) {
        t = placedAt + int(86_400, 10 * 86_400) * 1000;
        push({ at: t, kind: 'event', order: n, type: 'order.completed' });
      }
      const refunds = chance(0.03) ? -1 : chance(0.15) ? int(1, 2) : 0;
      if (refunds === -1) {
        // Refunded as a whole: an order.refunded naming no quantities.
        push({ at: t + int(3600, 25 * 86_400) * 1000, kind: 'event', order: n, type: 'order.refunded' });
      }
      for (let r = 0; r < refunds; r++) {
        const i = int(0, lines.length - 1);
        refunded[i] = Math.min(lines[i]!.quantity, refunded[i]! + int(1, 2));
        t += int(3600, 12 * 86_400) * 1000;
        push({ at: t, kind: 'event', order: n, type: 'order.refunded', refunded: [...refunded] });
      }
    }
    // Both programs hold orders placed within seconds of the click; the merchant decides on some
    // (a fast order the check did not hold, if any, is skipped at replay: deciding on it is a 409).
    if (fast && chance(0.7)) {
      const decision = chance(0.6) ? 'release' : 'reject';
      push({ at: placedAt + int(86_400, 20 * 86_400) * 1000, kind: 'review', order: n, decision });
    }
  }
  actions.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return { orders, actions: actions.map(({ seq: _seq, ...a }) => a as Action) };
}

const money = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

function items(order: ScenarioOrder, refunded?: number[]): OrderItemInput[] {
  return order.lines.map((l, i) => ({
    sku: l.sku,
    category: l.category,
    quantity: l.quantity,
    unitPrice: money(l.unitPriceMinor),
    ...(l.discountMinor ? { discount: money(l.discountMinor) } : {}),
    ...(refunded?.[i] ? { refundedQuantity: refunded[i] } : {}),
  }));
}

/** The ids one app gave the scenario's entities (the same in every app seeded from scratch). */
export interface Seeded {
  merchant: { id: string; apiKey: string; webhookSecret: string };
  programs: string[];
  affiliates: { id: string; apiKey: string }[];
  links: string[][];
  clicks: Map<string, string>;
  /** Orders held at intake (a review action on any other order is skipped). */
  held: Set<number>;
}

async function expectStatus(response: Response, status: number, what: string) {
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${await response.text()}`);
  return response;
}

export async function createEntities(t: TestApp): Promise<Seeded> {
  t.clock.current = new Date(SCENARIO_START);
  const merchant = await createMerchant(t, 'P9 shop');
  const affiliates: Seeded['affiliates'] = [];
  for (const a of AFFILIATES) {
    affiliates.push(await createAffiliate(t, a.name, a.parent === null ? {} : { parentId: affiliates[a.parent]!.id }));
  }
  const programs: string[] = [];
  const links: string[][] = [];
  for (const p of PROGRAMS) {
    const program = await createProgram(t, merchant.apiKey, {
      name: p.key,
      plan: p.plan,
      lockDays: p.lockDays,
      fraudChecks: p.fraudChecks,
    });
    programs.push(program.id);
    const row: string[] = [];
    for (const a of affiliates) {
      await approve(t, merchant.apiKey, program.id, a.id);
      row.push((await createLink(t, a.apiKey, { programId: program.id })).code);
    }
    links.push(row);
  }
  return { merchant, programs, affiliates, links, clicks: new Map(), held: new Set() };
}

export async function perform(t: TestApp, s: Seeded, scenario: Scenario, action: Action): Promise<void> {
  t.clock.current = new Date(action.at);
  switch (action.kind) {
    case 'click': {
      const response = await t.request(`/c/${s.links[action.program]![action.affiliate]}`, {
        headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', [TEST_IP_HEADER]: '198.51.100.4' },
      });
      const clid = new URL(response.headers.get('location')!).searchParams.get('clid');
      if (!clid) throw new Error(`click ${action.click}: no click id (${response.status})`);
      s.clicks.set(action.click, clid);
      return;
    }
    case 'event': {
      const o = scenario.orders[action.order]!;
      const body = orderEvent(
        s.programs[o.program]!,
        action.type,
        {
          id: o.externalId,
          clickId: s.clicks.get(o.click)!,
          customerId: o.customerId,
          newCustomer: o.newCustomer,
          placedAt: new Date(o.placedAt).toISOString(),
          ...(o.nonCashMinor ? { nonCashAmount: money(o.nonCashMinor) } : {}),
          items: items(o, action.refunded),
        },
        new Date(action.at).toISOString(),
      );
      const response = await expectStatus(
        await sendOrder(t, s.merchant.webhookSecret, body),
        200,
        `${action.type} ${o.externalId}`,
      );
      const result = (await response.json()) as { attribution: { affiliateId: string | null; held: boolean } };
      if (result.attribution.affiliateId !== s.affiliates[o.affiliate]!.id) {
        throw new Error(`${o.externalId}: attributed to ${result.attribution.affiliateId}, not ${s.affiliates[o.affiliate]!.id}`);
      }
      if (result.attribution.held) s.held.add(action.order);
      return;
    }
    case 'review': {
      if (!s.held.has(action.order)) return;
      const o = scenario.orders[action.order]!;
      await expectStatus(
        await t.request(`/v1/orders/${o.externalId}/${action.decision}`, { method: 'POST', key: s.merchant.apiKey }),
        200,
        `${action.decision} ${o.externalId}`,
      );
      return;
    }
    case 'plan':
      await expectStatus(
        await t.request(`/v1/programs/${s.programs[action.program]}`, {
          method: 'PATCH',
          key: s.merchant.apiKey,
          json: { plan: action.plan },
        }),
        200,
        'plan change',
      );
      return;
    case 'rate':
      await expectStatus(
        await t.request(`/v1/programs/${s.programs[action.program]}/affiliates/${s.affiliates[action.affiliate]!.id}/rate`, {
          method: 'PUT',
          key: s.merchant.apiKey,
          json: { percent: action.percent },
        }),
        200,
        'custom rate',
      );
      return;
  }
}
