import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeClickId } from '../../src/domain/click-id';
import { clickIdSigner } from '../../src/use-cases/track-click';
import { nodeCrypto } from '../../src/runtime/node-crypto';
import { orderEvent, sendOrder } from '../support/shop';
import {
  approve,
  createAffiliate,
  createLink,
  createTenant,
  startTestApp,
  TEST_IP_HEADER,
  testClickSecrets,
  type Tenant,
  type TestApp,
} from '../support/test-app';

let t: TestApp;
let tenant: Tenant;
beforeEach(async () => {
  t = await startTestApp();
  tenant = await createTenant(t);
});
afterEach(async () => {
  await t.close();
});

async function click(code = tenant.link.code, query = ''): Promise<string> {
  const response = await t.request(`/c/${code}${query}`, {
    headers: { 'user-agent': 'Mozilla/5.0 Chrome/131.0.0.0', [TEST_IP_HEADER]: '198.51.100.1' },
  });
  return new URL(response.headers.get('location')!).searchParams.get('clid')!;
}

async function order(
  id: string,
  fields: Record<string, unknown>,
  occurredAt = t.clock.now().toISOString(),
  programId = tenant.program.id,
  secret = tenant.merchant.webhookSecret,
) {
  const response = await sendOrder(t, secret, orderEvent(programId, 'order.created', { id, ...fields }, occurredAt));
  expect(response.status).toBe(200);
  const result = (await response.json()) as {
    attribution: { affiliateId: string | null; method: string; reason: string; held: boolean };
  };
  const view = (await (await t.request(`/v1/orders/${id}`, { key: merchantKeyFor(programId) })).json()) as {
    attribution: {
      receipt: { flags: { flag: string; holds: boolean }[]; candidates: { source: string; verdict: string; reason?: string }[] };
    };
  };
  return { ...result.attribution, flags: view.attribution.receipt.flags, candidates: view.attribution.receipt.candidates };
}

const merchantKeys = new Map<string, string>();
function merchantKeyFor(programId: string) {
  return merchantKeys.get(programId) ?? tenant.merchant.apiKey;
}

async function patchProgram(change: Record<string, unknown>) {
  const response = await t.request(`/v1/programs/${tenant.program.id}`, {
    method: 'PATCH',
    key: tenant.merchant.apiKey,
    json: change,
  });
  expect(response.status).toBe(200);
}

describe('attribution rules and suspicion flags (P12)', () => {
  it('attributes a click made before the order, within the cookie window', async () => {
    const clickId = await click();
    t.clock.advance(29 * 86_400_000);
    expect(await order('W-1', { clickId })).toMatchObject({
      method: 'click',
      reason: 'valid_click',
      affiliateId: tenant.affiliate.id,
      held: false,
    });
  });

  it('refuses a click older than the cookie window', async () => {
    const clickId = await click();
    t.clock.advance(30 * 86_400_000 + 1000);
    expect(await order('W-2', { clickId })).toMatchObject({ method: 'none', reason: 'click_expired', affiliateId: null });
  });

  it('refuses a click dated after the order was placed', async () => {
    const clickId = await click();
    const result = await order('W-3', { clickId, placedAt: '2026-11-25T09:59:59Z' });
    expect(result).toMatchObject({ method: 'none', reason: 'click_click_after_order' });
  });

  it("refuses another program's and another merchant's click ids", async () => {
    const other = await createTenant(t, 'Other');
    merchantKeys.set(other.program.id, other.merchant.apiKey);
    const foreign = await click(other.link.code);
    expect(await order('W-4', { clickId: foreign })).toMatchObject({ method: 'none', reason: 'click_other_program' });
    const mine = await click();
    const result = await order('W-5', { clickId: mine }, undefined, other.program.id, other.merchant.webhookSecret);
    expect(result).toMatchObject({ method: 'none', reason: 'click_other_program' });
  });

  it('stores orders with forged, altered or junk click ids unattributed, with the reason (P15)', async () => {
    const real = await click();
    // One character of the signature itself changed (elsewhere it may name another key id).
    const at = real.length - 3;
    const altered = real.slice(0, at) + (real[at] === 'A' ? 'B' : 'A') + real.slice(at + 1);
    const forged = encodeClickId(
      { programId: Number(tenant.program.id.slice(4)), affiliateId: 999, linkId: 1, clickedAtMs: t.clock.now().getTime() - 1000 },
      2,
      new Uint8Array(6),
      (_k, payload) => nodeCrypto.hmacSha256(new TextEncoder().encode('not-our-secret'), payload),
    );
    const unknownKey = encodeClickId(
      { programId: Number(tenant.program.id.slice(4)), affiliateId: 1, linkId: 1, clickedAtMs: t.clock.now().getTime() - 1000 },
      7,
      new Uint8Array(6),
      (_k, payload) => nodeCrypto.hmacSha256(new TextEncoder().encode('x'), payload),
    );
    const cases: [string, string][] = [
      [altered, 'click_bad_signature'],
      [forged, 'click_bad_signature'],
      [unknownKey, 'click_unknown_key'],
      ['not-a-click-id', 'click_malformed'],
      ['x'.repeat(150), 'click_malformed'],
    ];
    let i = 0;
    for (const [clickId, reason] of cases) {
      expect(await order(`F-${i++}`, { clickId })).toMatchObject({ method: 'none', reason, affiliateId: null });
    }
    // Ids signed with the previous key still attribute (rotation).
    const signedWithOldKey = encodeClickId(
      {
        programId: Number(tenant.program.id.slice(4)),
        affiliateId: Number(tenant.affiliate.id.slice(4)),
        linkId: Number(tenant.link.id.slice(4)),
        clickedAtMs: t.clock.now().getTime() - 1000,
      },
      1,
      new Uint8Array(6),
      clickIdSigner({ crypto: nodeCrypto }, testClickSecrets),
    );
    expect(await order('F-old', { clickId: signedWithOldKey })).toMatchObject({
      method: 'click',
      affiliateId: tenant.affiliate.id,
    });
  });

  it('attributes by coupon when there is no valid click, and follows the program order', async () => {
    const couponOwner = await createAffiliate(t, 'Coupon owner');
    await approve(t, tenant.merchant.apiKey, tenant.program.id, couponOwner.id);
    const coupon = await t.request('/v1/coupons', {
      method: 'POST',
      key: tenant.merchant.apiKey,
      json: { programId: tenant.program.id, code: 'spring10', affiliateId: couponOwner.id },
    });
    expect(coupon.status).toBe(201);
    const clickId = await click();
    expect(await order('C-1', { coupon: 'Spring10' })).toMatchObject({
      method: 'coupon',
      affiliateId: couponOwner.id,
      reason: 'coupon',
    });
    const both = await order('C-2', { coupon: 'SPRING10', clickId });
    expect(both).toMatchObject({ method: 'click', affiliateId: tenant.affiliate.id });
    expect(both.candidates).toEqual([
      expect.objectContaining({ source: 'click', verdict: 'won' }),
      expect.objectContaining({ source: 'coupon', verdict: 'valid_not_chosen' }),
    ]);
    await patchProgram({ attributionOrder: ['coupon', 'click'] });
    expect(await order('C-3', { coupon: 'spring10', clickId })).toMatchObject({ method: 'coupon', affiliateId: couponOwner.id });
    expect(await order('C-4', { coupon: 'NOPE', clickId })).toMatchObject({ method: 'click', affiliateId: tenant.affiliate.id });
    await patchProgram({ attributionOrder: ['coupon'] });
    expect(await order('C-5', { clickId })).toMatchObject({ method: 'none', reason: 'no_click_or_coupon' });
    expect(await order('C-6', { coupon: 'NOPE' })).toMatchObject({ method: 'none', reason: 'coupon_unknown_coupon' });
  });

  it('holds an order placed too soon after the click, only once the merchant sets the check', async () => {
    const clickId = await click();
    t.clock.advance(5_000);
    expect(await order('T-1', { clickId })).toMatchObject({ method: 'click', held: false, flags: [] });
    await patchProgram({ fraudChecks: { minClickToOrderSeconds: 10 } });
    const fast = await order('T-2', { clickId });
    expect(fast).toMatchObject({ method: 'click', held: true, flags: [{ flag: 'click_to_order_too_fast', holds: true }] });
    t.clock.advance(5_000);
    expect(await order('T-3', { clickId })).toMatchObject({ held: false });
  });

  it('flags self-referrals and paid-search clicks, holding them when the checks are on', async () => {
    await t.request('/v1/customer-refs', {
      method: 'POST',
      key: tenant.affiliate.apiKey,
      json: { programId: tenant.program.id, customerId: 'me@shop' },
    });
    const clickId = await click();
    expect(await order('R-1', { clickId, customerId: 'me@shop' })).toMatchObject({
      held: false,
      flags: [{ flag: 'self_referral', holds: false }],
    });
    expect(await order('R-2', { clickId, customerId: 'someone-else' })).toMatchObject({ held: false, flags: [] });
    const paid = await click(tenant.link.code, '?gclid=abc123');
    expect(await order('R-3', { clickId: paid })).toMatchObject({ held: false, flags: [{ flag: 'paid_search', holds: false }] });
    await patchProgram({ fraudChecks: { selfReferral: true, paidSearch: true } });
    expect(await order('R-4', { clickId, customerId: 'me@shop' })).toMatchObject({
      held: true,
      flags: [{ flag: 'self_referral', holds: true }],
    });
    expect(await order('R-5', { clickId: paid })).toMatchObject({ held: true, flags: [{ flag: 'paid_search', holds: true }] });
  });

  it('holds orders of a suspended affiliate, whatever the checks', async () => {
    const clickId = await click();
    await t.request(`/v1/programs/${tenant.program.id}/affiliates/${tenant.affiliate.id}/suspend`, {
      method: 'POST',
      key: tenant.merchant.apiKey,
    });
    expect(await order('S-1', { clickId })).toMatchObject({
      method: 'click',
      held: true,
      flags: [{ flag: 'affiliate_suspended', holds: true }],
    });
  });

  it('keeps the first attribution through later events', async () => {
    const first = await click();
    const otherLink = await createLink(t, tenant.affiliate.apiKey, { programId: tenant.program.id, sub1: 'other' });
    const second = await click(otherLink.code);
    await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.created', { id: 'K-1', clickId: first }),
    );
    const later = await sendOrder(
      t,
      tenant.merchant.webhookSecret,
      orderEvent(tenant.program.id, 'order.paid', { id: 'K-1', clickId: second }, '2026-11-25T10:30:00Z'),
    );
    expect(((await later.json()) as { attribution: unknown }).attribution).toMatchObject({ method: 'click' });
    const view = (await (await t.request('/v1/orders/K-1', { key: tenant.merchant.apiKey })).json()) as {
      attribution: { clickId: string; linkId: string };
    };
    expect(view.attribution).toMatchObject({ clickId: first, linkId: tenant.link.id });
  });
});
