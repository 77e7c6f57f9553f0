import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from '../../src/domain/base64url';

describe('base64url', () => {
  it('encodes every length and byte value as Node does, and decodes back', () => {
    for (let length = 0; length <= 48; length++) {
      for (let round = 0; round < 20; round++) {
        const bytes = new Uint8Array(randomBytes(length));
        const text = encodeBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(decodeBase64Url(text)).toEqual(bytes);
      }
    }
    const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i % 3 === 1 ? 255 - (i % 256) : i % 256));
    expect(encodeBase64Url(all)).toBe(Buffer.from(all).toString('base64url'));
  });

  it('encodes only the first `length` bytes when given a length', () => {
    const bytes = new Uint8Array(randomBytes(48));
    for (let length = 0; length <= 48; length++) {
      expect(encodeBase64Url(bytes, length)).toBe(Buffer.from(bytes.subarray(0, length)).toString('base64url'));
    }
  });
});
