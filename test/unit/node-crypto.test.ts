import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/runtime/node-crypto';

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

// The same vectors as test/workers/worker-crypto.test.ts: Node and Workers must agree byte for byte.
describe('AppCrypto on Node', () => {
  it('computes HMAC-SHA256 as RFC 4231 test case 2 says, over one part or several', () => {
    const key = new TextEncoder().encode('Jefe');
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(hex(nodeCrypto.hmacSha256(key, 'what do ya want for nothing?'))).toBe(expected);
    expect(hex(nodeCrypto.hmacSha256(key, 'what do ya ', new TextEncoder().encode('want for nothing?')))).toBe(expected);
  });

  it('hashes SHA-256 as FIPS 180-2 says, UTF-8 text included', () => {
    expect(nodeCrypto.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(nodeCrypto.sha256Hex('café')).toBe('850f7dc43910ff890f8879c0ed26fe697c93a067ad93a7d50f466a7028a9bf4e');
  });
});
