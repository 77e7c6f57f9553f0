import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeBase64Url } from '../../src/domain/base64url';
import { type ClickIdSigner, encodeClickId, MAX_CLICK_ID_LENGTH, verifyClickId } from '../../src/domain/click-id';

const secrets = new Map([
  [1, 'old-secret-0123456789abcdef0123456789'],
  [2, 'new-secret-fedcba9876543210fedcba9876'],
]);
const sign: ClickIdSigner = (keyId, payload) => {
  const secret = secrets.get(keyId);
  return secret ? new Uint8Array(createHmac('sha256', secret).update(payload).digest()) : undefined;
};
const fields = { programId: 12, affiliateId: 345, linkId: 67890, clickedAtMs: Date.parse('2026-11-25T10:00:00.123Z') };

function mint(overrides: Partial<typeof fields> = {}, keyId = 2) {
  return encodeClickId({ ...fields, ...overrides }, keyId, new Uint8Array(randomBytes(6)), sign);
}

describe('signed click ids', () => {
  it('carries program, affiliate, link and time, and verifies without a lookup', () => {
    const id = mint();
    expect(verifyClickId(id, sign)).toEqual({ ok: true, click: { ...fields, keyId: 2 } });
  });

  it('keeps its byte layout: ids minted before any rewrite of the encoder still read the same', () => {
    const nonce = new Uint8Array([1, 2, 3, 250, 251, 252]);
    const large = { programId: 2 ** 40, affiliateId: 2 ** 53 - 1, linkId: 0, clickedAtMs: 2 ** 48 - 1 };
    // Version 2 (time first), minted now.
    expect(encodeClickId(fields, 2, nonce, sign)).toBe('AgGiEiXZewIM2QKykgQBAgP6-_zZJ75cfr0UtLm6');
    const id = encodeClickId(large, 2, new Uint8Array([0, 0, 0, 0, 0, 255]), sign);
    expect(id).toBe('Av_______wKAgICAgCD_________DwAAAAAAAP9zJbIU_dEkSnyo');
    expect(verifyClickId(id, sign)).toEqual({ ok: true, click: { ...large, keyId: 2 } });
    // Version 1 (link first), minted by the original encoder: ids already out in the world keep verifying.
    expect(verifyClickId('AQIM2QKykgQBohIl2XsBAgP6-_yMW9YM_sskmfRT', sign)).toEqual({ ok: true, click: { ...fields, keyId: 2 } });
    expect(verifyClickId('AQKAgICAgCD_________DwD_______8AAAAAAP_6nGpDfwubwxoO', sign)).toEqual({
      ok: true,
      click: { ...large, keyId: 2 },
    });
  });

  it('starts with its time: ids of one millisecond share their first characters whatever their link', () => {
    // The store's unique index keeps ids in this order, so a moment's clicks on many links are
    // written next to each other instead of next to each link's previous click.
    const ids = [1, 2, 999, 123_456].map((linkId) => mint({ linkId, programId: linkId * 7, affiliateId: linkId * 3 }));
    // Nine characters are 54 bits: the version byte and the time down to its 4 ms.
    const prefix = ids[0]!.slice(0, 9);
    for (const id of ids) expect(id.slice(0, 9)).toBe(prefix);
    expect(mint({ clickedAtMs: fields.clickedAtMs + 64 }).slice(0, 9)).not.toBe(prefix);
  });

  it('is URL-safe and at most 64 characters even for large ids', () => {
    const id = mint({ programId: 2 ** 40, affiliateId: 2 ** 40, linkId: 2 ** 40 });
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id.length).toBeLessThanOrEqual(MAX_CLICK_ID_LENGTH);
    expect(mint().length).toBeLessThanOrEqual(44);
  });

  it('keeps verifying ids signed with a rotated-out key, and refuses unknown key ids', () => {
    const old = mint({}, 1);
    expect(verifyClickId(old, sign)).toMatchObject({ ok: true, click: { keyId: 1 } });
    const signWithThree: ClickIdSigner = (keyId, payload) => (keyId === 3 ? sign(2, payload) : undefined);
    const unknown = encodeClickId(fields, 3, new Uint8Array(6), signWithThree);
    expect(verifyClickId(unknown, sign)).toEqual({ ok: false, reason: 'unknown_key' });
  });

  it('never repeats an id (100k minted in the same millisecond)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(mint());
    expect(seen.size).toBe(100_000);
  });

  it('attributes nothing for 10k mutated ids (P15)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const id = mint();
      const chars = id.split('');
      const mutations = 1 + (i % 3);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(Math.random() * chars.length);
        let replacement = chars[at]!;
        while (replacement === chars[at]) replacement = alphabet[Math.floor(Math.random() * alphabet.length)]!;
        chars[at] = replacement;
      }
      const mutated = chars.join('');
      if (mutated !== id && verifyClickId(mutated, sign).ok) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('attributes nothing for 10k random, truncated or extended ids (P15)', () => {
    const base = mint();
    const candidates = [
      '',
      'x',
      base.slice(0, -1),
      `${base}A`,
      base.slice(1),
      'A'.repeat(65),
      `${base.slice(0, 10)}+/${base.slice(12)}`,
    ];
    for (let i = 0; i < 10_000; i++) candidates.push(encodeBase64Url(new Uint8Array(randomBytes(16 + (i % 30)))));
    for (let i = 0; i < 100; i++) {
      const bytes = new Uint8Array(randomBytes(30));
      bytes[0] = 1;
      candidates.push(encodeBase64Url(bytes));
    }
    const accepted = candidates.filter((c) => verifyClickId(c, sign).ok);
    expect(accepted).toEqual([]);
  });

  it('refuses a re-signed id whose fields were changed without the secret', () => {
    const forgedSigner: ClickIdSigner = (_keyId, payload) =>
      new Uint8Array(createHmac('sha256', 'guess').update(payload).digest());
    const forged = encodeClickId({ ...fields, affiliateId: 999 }, 2, new Uint8Array(6), forgedSigner);
    expect(verifyClickId(forged, sign)).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
