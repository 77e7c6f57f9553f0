import { describe, expect, it } from 'vitest';
import { workerCrypto } from '../../src/runtime/worker-crypto';

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

// Click ids signed on Node must verify on Workers and back: the same HMAC, byte for byte.
describe('AppCrypto inside workerd', () => {
  it('computes HMAC-SHA256 as RFC 4231 test case 2 says', () => {
    const mac = workerCrypto.hmacSha256(new TextEncoder().encode('Jefe'), 'what do ya want for nothing?');
    expect(hex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('hashes bytes the same as text, and SHA-256 as FIPS 180-2 says', () => {
    const key = new Uint8Array(32).fill(7);
    expect(hex(workerCrypto.hmacSha256(key, new TextEncoder().encode('payload')))).toBe(
      hex(workerCrypto.hmacSha256(key, 'payload')),
    );
    // Parts are one message: the webhook intake passes `id.timestamp.` and the body apart.
    expect(hex(workerCrypto.hmacSha256(key, 'msg_1.1764064800.', new TextEncoder().encode('{"a":1}')))).toBe(
      hex(workerCrypto.hmacSha256(key, 'msg_1.1764064800.{"a":1}')),
    );
    expect(workerCrypto.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('returns fresh random bytes of the length asked', () => {
    const a = workerCrypto.randomBytes(6);
    const b = workerCrypto.randomBytes(6);
    expect(a).toHaveLength(6);
    expect(hex(a)).not.toBe(hex(b));
  });
});
