import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import {
  expandPostback,
  postbackTemplateProblem,
  receiverUrlProblem,
  retryDelayMs,
  RETRY_DELAYS_SECONDS,
} from '../../src/domain/outbound-events';
import { signWebhook, webhookSecretKey } from '../../src/domain/webhook-signature';
import { nodeCrypto } from '../../src/runtime/node-crypto';

describe('retry schedule', () => {
  it('waits 1 min, 5 min, 30 min, 2 h, 12 h, stretched by at most 10 %, then gives up', () => {
    expect(RETRY_DELAYS_SECONDS.map((_, i) => retryDelayMs(i + 1, 0))).toEqual([
      60_000, 300_000, 1_800_000, 7_200_000, 43_200_000,
    ]);
    expect(retryDelayMs(1, 0.999)).toBe(65_994);
    expect(retryDelayMs(6, 0)).toBeUndefined();
  });
});

describe('receiver URLs', () => {
  it.each([
    ['https://hooks.example/x', undefined],
    ['http://hooks.example/x', 'url: must be https'],
    ['https://127.0.0.1/x', 'url: must not point at a loopback, private or link-local address'],
    ['https://[::1]/x', 'url: must not point at a loopback, private or link-local address'],
    ['https://169.254.169.254/latest', 'url: must not point at a loopback, private or link-local address'],
    ['https://100.64.0.1/', 'url: must not point at a loopback, private or link-local address'],
    ['https://192.168.1.1/', 'url: must not point at a loopback, private or link-local address'],
    ['https://user:pw@hooks.example/', 'url: must not carry credentials'],
    ['not a url', 'url: not an absolute URL'],
  ])('%s', (url, problem) => {
    expect(receiverUrlProblem(url, false)).toBe(problem);
  });

  it('admits http and loopback only when private receivers are allowed', () => {
    expect(receiverUrlProblem('http://127.0.0.1:8080/x', true)).toBeUndefined();
    expect(receiverUrlProblem('ftp://127.0.0.1/x', true)).toBe('url: must be http or https');
  });
});

describe('postback templates', () => {
  it('refuses unknown macros when saved and URL-encodes every value', () => {
    expect(postbackTemplateProblem('https://t.example/pb?x={clickid}&y={sub9}', false)).toBe(
      'url: unknown macro {clickid}, {sub9}',
    );
    expect(postbackTemplateProblem('https://t.example/pb?cid={click_id}&p={payout}', false)).toBeUndefined();
    const values = Object.fromEntries(
      [
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
      ].map((k) => [k, '']),
    ) as Parameters<typeof expandPostback>[1];
    expect(expandPostback('https://t.example/pb?s={sub1}&p={payout}', { ...values, sub1: 'a b&c=d/é', payout: '7.58' })).toBe(
      'https://t.example/pb?s=a%20b%26c%3Dd%2F%C3%A9&p=7.58',
    );
  });
});

describe('signWebhook', () => {
  it('signs what the standardwebhooks library verifies', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"id":"evt_1","type":"sale.created"}';
    const signature = signWebhook(
      'evt_1',
      '1764064800',
      new TextEncoder().encode(body),
      webhookSecretKey(secret)!,
      nodeCrypto.hmacSha256,
    );
    expect(signature).toBe(new Webhook(secret).sign('evt_1', new Date(1764064800_000), body));
    vi.useFakeTimers({ toFake: ['Date'], now: 1764064800_000 });
    try {
      expect(
        new Webhook(secret).verify(body, {
          'webhook-id': 'evt_1',
          'webhook-timestamp': '1764064800',
          'webhook-signature': signature,
        }),
      ).toEqual(JSON.parse(body));
    } finally {
      vi.useRealTimers();
    }
  });
});
