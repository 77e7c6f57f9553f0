import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { POSTBACK_MACROS, type PostbackMacro } from '../../src/domain/outbound-events';
import { POSTBACK_SIGNATURE_HEADER, postbackRequest } from '../../src/domain/postback-request';
import { nodeCrypto } from '../../src/runtime/node-crypto';

const values = Object.fromEntries(POSTBACK_MACROS.map((m) => [m, ''])) as Record<PostbackMacro, string>;
Object.assign(values, { event: 'commission.created', order_id: 'W 1&2', payout: '7.58', currency: 'EUR', sub1: 'spring sale' });
const template = 'https://tracker.example/pb?o={order_id}&p={payout}&s={sub1}';
const t = '1764064800';

describe('postbackRequest', () => {
  it('GET by default: the URL with every value encoded, no body, no signature', () => {
    const r = postbackRequest(template, values, { method: 'GET' }, t, nodeCrypto.hmacSha256);
    expect(r.url).toBe('https://tracker.example/pb?o=W%201%262&p=7.58&s=spring%20sale');
    expect(r.init).toEqual({ method: 'GET', headers: { 'user-agent': 'clickledger-postbacks/1' } });
  });

  it('POST carries the values, unencoded, as a JSON body', () => {
    const r = postbackRequest(template, values, { method: 'POST' }, t, nodeCrypto.hmacSha256);
    expect(r.init.method).toBe('POST');
    expect(r.init.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.init.body!)).toEqual(values);
    expect(JSON.parse(r.init.body!).order_id).toBe('W 1&2');
  });

  it('signs "t.body" for a POST and "t.url" for a GET with the secret, as any HMAC-SHA256 checks it', () => {
    const secret = 'pbsec_0123456789';
    const expected = (message: string) => `t=${t},v1=${createHmac('sha256', secret).update(message).digest('hex')}`;
    const post = postbackRequest(template, values, { method: 'POST', secret }, t, nodeCrypto.hmacSha256);
    expect(post.init.headers[POSTBACK_SIGNATURE_HEADER]).toBe(expected(`${t}.${post.init.body}`));
    const get = postbackRequest(template, values, { method: 'GET', secret }, t, nodeCrypto.hmacSha256);
    expect(get.init.headers[POSTBACK_SIGNATURE_HEADER]).toBe(expected(`${t}.${get.url}`));
    // Another secret, or a changed value, does not verify.
    expect(
      postbackRequest(template, values, { method: 'GET', secret: 'other' }, t, nodeCrypto.hmacSha256).init.headers[
        POSTBACK_SIGNATURE_HEADER
      ],
    ).not.toBe(get.init.headers[POSTBACK_SIGNATURE_HEADER]);
  });
});
