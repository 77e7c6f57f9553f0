import { describe, expect, it } from 'vitest';
import { nodeCrypto } from '../../src/runtime/node-crypto';
import { visitorIdentity } from '../../src/use-cases/track-click';

const key = new TextEncoder().encode('visitor-key-for-unit-tests-0123456789');
const otherKey = new TextEncoder().encode('another-visitor-key-for-unit-tests-0123');
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

describe('visitor hashes (one keyed hash per address, the agent half memoised)', () => {
  it('gives a visitor the same hashes on every click, and another agent or address another visitor', () => {
    const a = visitorIdentity(nodeCrypto, key, '203.0.113.7', CHROME);
    expect(visitorIdentity(nodeCrypto, key, '203.0.113.7', CHROME)).toEqual(a);
    expect(a.visitorHash).toMatch(/^[0-9a-f]{24}$/);
    const otherAgent = visitorIdentity(nodeCrypto, key, '203.0.113.7', SAFARI);
    expect(otherAgent.ipHash).toBe(a.ipHash);
    expect(otherAgent.visitorHash).not.toBe(a.visitorHash);
    const otherAddress = visitorIdentity(nodeCrypto, key, '203.0.113.8', CHROME);
    expect(otherAddress.ipHash).not.toBe(a.ipHash);
    expect(otherAddress.visitorHash).not.toBe(a.visitorHash);
  });

  it('depends on the key, and the IP hash is still the first 16 bytes of HMAC("ip\\n" + address)', () => {
    const a = visitorIdentity(nodeCrypto, key, '198.51.100.1', CHROME);
    const b = visitorIdentity(nodeCrypto, otherKey, '198.51.100.1', CHROME);
    expect(b.ipHash).not.toBe(a.ipHash);
    expect(b.visitorHash).not.toBe(a.visitorHash);
    const mac = nodeCrypto.hmacSha256(key, 'ip\n198.51.100.1');
    expect(a.ipHash).toBe(Buffer.from(mac.subarray(0, 16)).toString('base64url'));
  });

  it('tells apart 100,000 new visitors over a handful of agents', () => {
    const seen = new Set<string>();
    for (let v = 0; v < 100_000; v++) {
      const ip = `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`;
      seen.add(visitorIdentity(nodeCrypto, key, ip, v % 2 ? CHROME : SAFARI).visitorHash);
    }
    expect(seen.size).toBe(100_000);
  });
});
