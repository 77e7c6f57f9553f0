import { createHash, createHmac } from 'node:crypto';
import type { AppCrypto } from '../core/deps';

/**
 * AppCrypto on Workers. `hmacSha256` is synchronous in AppCrypto (click ids are signed and
 * verified inside synchronous code, also in the order intake's unit of work), and Web Crypto's
 * `subtle.sign` is only async. Of the three ways out we take workerd's own `node:crypto`
 * (the `nodejs_compat` flag): native BoringSSL, synchronous, byte-for-byte the HMAC Node
 * computes. A pure-JS HMAC would be hand-rolled crypto on the hot path; an async AppCrypto would
 * change every caller, the Node redirect included, to pay for a runtime that does not need it.
 * Randomness is Web Crypto's `getRandomValues` (synchronous, available everywhere).
 */
export const workerCrypto: AppCrypto = {
  hmacSha256: (key, ...parts) => {
    const mac = createHmac('sha256', key);
    for (const part of parts) mac.update(part);
    return new Uint8Array(mac.digest());
  },
  sha256Hex: (text) => createHash('sha256').update(text).digest('hex'),
  randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
};
