import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeBase64Url } from '../../src/domain/base64url';
import { verifyWebhook, webhookSecretKey } from '../../src/domain/webhook-signature';
import { prng } from '../support/prng';

const hmac = (key: Uint8Array, ...parts: (Uint8Array | string)[]) => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
};
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const key = webhookSecretKey(secret)!;
const now = 1_764_064_800;

function headersFor(body: string, timestamp = now, id = 'msg_1', s = secret) {
  return { id, timestamp: String(timestamp), signature: new Webhook(s).sign(id, new Date(timestamp * 1000), body) };
}

describe('Standard Webhooks verification (P6, P7)', () => {
  it('accepts what the reference library signs, over the exact bytes sent', () => {
    // Odd spacing and key order: a verifier that re-serialised the JSON would reject this.
    const body = '{ "b":1,  "a" : "ü\\u00fc" }\n';
    expect(verifyWebhook(headersFor(body), new TextEncoder().encode(body), [key], now, hmac)).toEqual({ ok: true });
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(verifyWebhook(headersFor(body), new TextEncoder().encode(reserialised), [key], now, hmac).ok).toBe(false);
  });

  it('refuses any single flipped byte in the body', () => {
    const body = JSON.stringify({ type: 'order.paid', order: { id: 'A-1', amount: '10.00' } });
    const bytes = new TextEncoder().encode(body);
    const headers = headersFor(body);
    for (let i = 0; i < bytes.length; i++) {
      const changed = bytes.slice();
      changed[i] = changed[i]! ^ 0x01;
      expect(verifyWebhook(headers, changed, [key], now, hmac).ok).toBe(false);
    }
  });

  it.each([
    [-301, 'timestamp_too_old'],
    [301, 'timestamp_too_new'],
  ])('refuses a timestamp %i s away (%s)', (offset, reason) => {
    const body = '{}';
    expect(verifyWebhook(headersFor(body, now + offset), new TextEncoder().encode(body), [key], now, hmac)).toEqual({
      ok: false,
      reason,
    });
  });

  it.each([-300, -299, 0, 299, 300])('accepts a timestamp %i s away', (offset) => {
    const body = '{}';
    expect(verifyWebhook(headersFor(body, now + offset), new TextEncoder().encode(body), [key], now, hmac)).toEqual({ ok: true });
  });

  it('accepts a signature under any active secret and any of several offered signatures', () => {
    const other = 'whsec_b3RoZXItc2VjcmV0LWZvci1yb3RhdGlvbi0xMjM0NTY=';
    const body = '{"x":1}';
    const signedWithOld = headersFor(body, now, 'msg_2', other);
    expect(verifyWebhook(signedWithOld, new TextEncoder().encode(body), [key, webhookSecretKey(other)!], now, hmac)).toEqual({
      ok: true,
    });
    expect(verifyWebhook(signedWithOld, new TextEncoder().encode(body), [key], now, hmac).ok).toBe(false);
    const both = { ...signedWithOld, signature: `v1,AAAA ${headersFor(body, now, 'msg_2').signature}` };
    expect(verifyWebhook(both, new TextEncoder().encode(body), [key], now, hmac)).toEqual({ ok: true });
  });

  it('refuses missing headers, other versions, a changed id and garbage', () => {
    const body = '{}';
    const bytes = new TextEncoder().encode(body);
    const good = headersFor(body);
    expect(verifyWebhook({ ...good, id: undefined }, bytes, [key], now, hmac)).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyWebhook({ ...good, id: 'msg_other' }, bytes, [key], now, hmac).ok).toBe(false);
    expect(verifyWebhook({ ...good, signature: good.signature.replace('v1,', 'v2,') }, bytes, [key], now, hmac).ok).toBe(false);
    expect(verifyWebhook({ ...good, timestamp: '17e8' }, bytes, [key], now, hmac)).toEqual({
      ok: false,
      reason: 'bad_timestamp',
    });
    expect(verifyWebhook({ ...good, signature: 'v1,!!!' }, bytes, [key], now, hmac).ok).toBe(false);
    expect(verifyWebhook(good, bytes, [], now, hmac).ok).toBe(false);
  });
});

describe('decodeBase64', () => {
  // What it did before it decoded the standard alphabet itself: rewrite into base64url, decode that.
  const reference = (text: string) =>
    !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1
      ? undefined
      : decodeBase64Url(text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));

  it('decodes what Buffer encodes, padded or not', () => {
    const random = prng(7);
    for (let length = 0; length < 70; length++) {
      const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      const text = bytes.toString('base64');
      expect(decodeBase64(text)).toEqual(new Uint8Array(bytes));
      expect(decodeBase64(text.replace(/=+$/, ''))).toEqual(new Uint8Array(bytes));
    }
  });

  it('accepts and refuses exactly what the rewrite into base64url did', () => {
    const random = prng(11);
    const alphabet = 'AQgw+/=-_ Zz09é';
    for (let i = 0; i < 50_000; i++) {
      const length = Math.floor(random() * 10);
      const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      expect(decodeBase64(text), text).toEqual(reference(text));
    }
  });
});
