import { formatId } from './ids';
import { formatMoney } from './money';
import { ledgerEntryView, merchantOrderSummary, type LedgerEntryViewRow, type OrderViewRow } from './resource-views';

/**
 * The catalogue of outbound events (docs/webhooks.md). An event is `{id, type, createdAt, data}`;
 * `data` is the resource as the API returns it plus `version`, the outbox sequence, which only
 * grows, so a receiver can drop an event older than one it already applied.
 */
export const SALE_EVENTS = ['sale.created', 'sale.updated'] as const;
export const COMMISSION_EVENTS = ['commission.created', 'commission.approved', 'commission.reversed'] as const;
export const PAYOUT_EVENTS = ['payout.created', 'payout.paid', 'payout.failed'] as const;
export const EVENT_TYPES = [...SALE_EVENTS, ...COMMISSION_EVENTS, ...PAYOUT_EVENTS] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What a merchant's endpoint may subscribe to; an operator's endpoint takes the payout events. */
export const MERCHANT_EVENT_TYPES: readonly EventType[] = [...SALE_EVENTS, ...COMMISSION_EVENTS];
export const OPERATOR_EVENT_TYPES: readonly EventType[] = PAYOUT_EVENTS;

/** An order as the outbox trigger snapshots it (sql/sqlite/0015_outbound_events.sql). */
export interface SaleSnapshot extends OrderViewRow {
  click_id: string | null;
}

/** A ledger entry as the outbox trigger snapshots it, with what a postback needs of its order. */
export interface CommissionSnapshot extends LedgerEntryViewRow {
  order_external_id: string | null;
  order_click_id: string | null;
  order_revenue_minor: number;
  order_currency: string;
  link_id: number | null;
  program_id: number;
  status_changed_at: string;
}

/** A payout run as the API summarises it (payouts/payout-runs.ts), at the event's moment. */
export interface PayoutData {
  id: string;
  status: string;
  [field: string]: unknown;
}

/**
 * Not subscribable: a test send goes to the one endpoint that asked for it, and `endpoint.disabled`
 * stays in the outbox for the owner's mail (a later issue); neither is fanned out to endpoints.
 */
export const TEST_EVENT = 'webhook.test';
export const POSTBACK_TEST_EVENT = 'postback.test';
export const ENDPOINT_DISABLED_EVENT = 'endpoint.disabled';

/**
 * An endpoint is disabled once at least AUTO_DISABLE_FAILURES attempts in a row have failed and
 * the first of them is at least AUTO_DISABLE_HOURS old: one flaky afternoon never disables it,
 * a receiver gone for three days does. Any 2xx ends the run.
 */
export const AUTO_DISABLE_FAILURES = 10;
export const AUTO_DISABLE_HOURS = 72;

/** The longest time a rotated-out secret keeps signing next to its successor. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86_400;

export interface OutboundEvent {
  id: string;
  type: EventType | typeof TEST_EVENT | typeof POSTBACK_TEST_EVENT;
  createdAt: string;
  data: Record<string, unknown> & { version: number };
}

export function eventId(seq: number): string {
  return formatId('event', seq);
}

export function saleEvent(seq: number, type: EventType, createdAt: string, sale: SaleSnapshot): OutboundEvent {
  return { id: eventId(seq), type, createdAt, data: { ...merchantOrderSummary(sale), version: seq } };
}

export function commissionEvent(seq: number, type: EventType, createdAt: string, entry: CommissionSnapshot): OutboundEvent {
  return {
    id: eventId(seq),
    type,
    createdAt,
    data: {
      ...ledgerEntryView(entry),
      orderId: entry.order_external_id,
      programId: formatId('program', entry.program_id),
      statusChangedAt: entry.status_changed_at,
      version: seq,
    },
  };
}

export function testEvent(seq: number, createdAt: string, endpointId: string): OutboundEvent {
  return {
    id: eventId(seq),
    type: TEST_EVENT,
    createdAt,
    data: { endpointId, message: 'A test event sent on request; it carries no resource.', version: seq },
  };
}

/** What an affiliate's test postback carries: the program it names, no order, no money. */
export interface PostbackTestSnapshot {
  program_id: number;
  currency: string;
}

export function postbackTestEvent(seq: number, createdAt: string, test: PostbackTestSnapshot): OutboundEvent {
  return {
    id: eventId(seq),
    type: POSTBACK_TEST_EVENT,
    createdAt,
    data: { programId: formatId('program', test.program_id), version: seq },
  };
}

/** A test postback's macros: recognisably not a sale (order TEST, status test, amounts 0). */
export function postbackTestValues(event: OutboundEvent, test: PostbackTestSnapshot): Record<PostbackMacro, string> {
  return {
    event: event.type,
    transaction_id: `test-${event.id}`,
    click_id: '',
    sub1: '',
    sub2: '',
    sub3: '',
    sub4: '',
    sub5: '',
    order_id: 'TEST',
    amount: '0',
    payout: '0',
    currency: test.currency,
    status: 'test',
    program_id: formatId('program', test.program_id),
    link_id: '',
    timestamp: event.createdAt,
  };
}

export function payoutEvent(seq: number, type: EventType, createdAt: string, payout: PayoutData): OutboundEvent {
  return { id: eventId(seq), type, createdAt, data: { ...payout, version: seq } };
}

/**
 * When to try a failed delivery again: after 1 min, 5 min, 30 min, 2 h and 12 h, each stretched by
 * up to 10 % (`jitter` in [0, 1)) so receivers that failed together are not retried together.
 * Undefined once those are spent: the delivery has failed (a replay starts the schedule again).
 */
export const RETRY_DELAYS_SECONDS = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600] as const;

export function retryDelayMs(failures: number, jitter: number): number | undefined {
  const base = RETRY_DELAYS_SECONDS[failures - 1];
  return base === undefined ? undefined : Math.round(base * 1000 * (1 + jitter / 10));
}

/**
 * Why a receiver URL is refused, or undefined. https only, and no loopback or private address
 * written as the host, unless `allowPrivate` (development and tests). Names are not resolved here.
 */
export function receiverUrlProblem(text: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'url: not an absolute URL';
  }
  if (url.username || url.password) return 'url: must not carry credentials';
  if (allowPrivate) return url.protocol === 'https:' || url.protocol === 'http:' ? undefined : 'url: must be http or https';
  if (url.protocol !== 'https:') return 'url: must be https';
  if (isPrivateHost(url.hostname)) return 'url: must not point at a loopback, private or link-local address';
  return undefined;
}

function isPrivateHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.internal')) return true;
  if (name.includes(':'))
    return name === '::1' || name === '::' || /^f[cd]/.test(name) || name.startsWith('fe80') || name.startsWith('::ffff:');
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(name);
  if (!v4) return false;
  const [a, b] = [Number(v4[1]), Number(v4[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/** The macros an affiliate's postback URL may use; anything else in braces is refused at save time. */
export const POSTBACK_MACROS = [
  'event',
  'transaction_id',
  'click_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'order_id',
  'amount',
  'payout',
  'currency',
  'status',
  'program_id',
  'link_id',
  'timestamp',
] as const;
export type PostbackMacro = (typeof POSTBACK_MACROS)[number];
export const POSTBACK_EVENTS: readonly EventType[] = COMMISSION_EVENTS;

const MACRO = /\{([^{}]*)\}/g;

export function postbackTemplateProblem(template: string, allowPrivate: boolean): string | undefined {
  const unknown = [...template.matchAll(MACRO)]
    .map((m) => m[1]!)
    .filter((m) => !(POSTBACK_MACROS as readonly string[]).includes(m));
  if (unknown.length > 0) return `url: unknown macro ${unknown.map((m) => `{${m}}`).join(', ')}`;
  // The template is checked as the URL it becomes with every macro empty.
  return receiverUrlProblem(template.replace(MACRO, ''), allowPrivate);
}

/** What a commission event fills a postback's macros with; every value is URL-encoded into the template. */
export function postbackValues(
  event: OutboundEvent,
  entry: CommissionSnapshot,
  subs: readonly (string | null)[],
): Record<PostbackMacro, string> {
  return {
    event: event.type,
    transaction_id: entry.entry_id,
    click_id: entry.order_click_id ?? '',
    sub1: subs[0] ?? '',
    sub2: subs[1] ?? '',
    sub3: subs[2] ?? '',
    sub4: subs[3] ?? '',
    sub5: subs[4] ?? '',
    order_id: entry.order_external_id ?? '',
    amount: formatMoney({ minor: entry.order_revenue_minor, currency: entry.order_currency }),
    payout: formatMoney({ minor: entry.amount_minor, currency: entry.currency }),
    currency: entry.currency,
    status: entry.status,
    program_id: formatId('program', entry.program_id),
    link_id: entry.link_id === null ? '' : formatId('link', entry.link_id),
    timestamp: event.createdAt,
  };
}

export function expandPostback(template: string, values: Record<PostbackMacro, string>): string {
  return template.replace(MACRO, (whole, name: string) =>
    name in values ? encodeURIComponent(values[name as PostbackMacro]) : whole,
  );
}
