import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/runtime/node-crypto';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const reference = (key: Uint8Array, data: Uint8Array | string) => createHmac('sha256', key).update(data).digest('hex');

// Short messages are MACed in JS from a cached key state, long ones by node:crypto: click ids
// signed either way must verify the other way, on Workers too.
// The same vectors as test/workers/worker-crypto.test.ts: Node and Workers must agree byte for byte.
describe('AppCrypto on Node', () => {
  it('matches RFC 4231 test cases 2, 6 and 7 (a key longer than a block, a long message)', () => {
    expect(hex(nodeCrypto.hmacSha256(new TextEncoder().encode('Jefe'), 'what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    const longKey = new Uint8Array(131).fill(0xaa);
    expect(hex(nodeCrypto.hmacSha256(longKey, 'Test Using Larger Than Block-Size Key - Hash Key First'))).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
    const longMessage =
      'This is a test using a larger than block-size key and a larger than block-size data. ' +
      'The key needs to be hashed before being used by the HMAC algorithm.';
    expect(hex(nodeCrypto.hmacSha256(longKey, longMessage))).toBe(
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    );
  });

  it('gives node:crypto’s bytes for every message length around the short-message limit, text or bytes, key reused', () => {
    const keys = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(7)), new Uint8Array(randomBytes(100))];
    for (const key of keys) {
      for (let length = 0; length <= 600; length += length < 300 ? 1 : 37) {
        const bytes = new Uint8Array(randomBytes(length));
        expect(hex(nodeCrypto.hmacSha256(key, bytes)), `bytes, length ${length}`).toBe(reference(key, bytes));
        const text = 'é'.repeat(length >> 1) + 'x'.repeat(length & 1);
        expect(hex(nodeCrypto.hmacSha256(key, text)), `text, length ${length}`).toBe(reference(key, text));
        const ascii = 'ip\n10.0.0.1 Mozilla/5.0 '.repeat(30).slice(0, length);
        expect(hex(nodeCrypto.hmacSha256(key, ascii, ascii)), `ASCII text in two parts, length ${length}`).toBe(
          reference(key, ascii + ascii),
        );
      }
    }
  });

  it('MACs a message given in parts as the same message whole, on both sides of the short-message limit', () => {
    const key = new TextEncoder().encode('Jefe');
    expect(hex(nodeCrypto.hmacSha256(key, 'what do ya ', new TextEncoder().encode('want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    const long = 'x'.repeat(200);
    expect(hex(nodeCrypto.hmacSha256(key, 'msg_1.1700000000.', long, long))).toBe(
      reference(key, `msg_1.1700000000.${long}${long}`),
    );
  });

  it('hashes SHA-256 as FIPS 180-2 says, UTF-8 text included', () => {
    expect(nodeCrypto.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(nodeCrypto.sha256Hex('café')).toBe('850f7dc43910ff890f8879c0ed26fe697c93a067ad93a7d50f466a7028a9bf4e');
  });
});
