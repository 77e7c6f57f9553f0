import * as nodeCryptoModule from 'node:crypto';
import { createHash, createHmac, createSecretKey, type KeyObject, randomFillSync } from 'node:crypto';
// The namespace import is only to feature-detect `hash` (Node 20.12+), which the typings of
// older releases lack; the named imports are the functions every Node 20 has.
import { HMAC } from 'fast-sha256';
import type { AppCrypto } from '../core/deps';

/**
 * Small random reads (6 bytes per click id) cost more in call overhead than in entropy, so they
 * are served from a pool refilled 8 KiB at a time.
 */
const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomBytes(length: number): Uint8Array {
  if (length > 256) return new Uint8Array(randomFillSync(new Uint8Array(length)));
  if (poolOffset + length > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

// Importing raw key bytes on every HMAC showed in profiles; key objects are made once per key.
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
function keyObject(key: Uint8Array): KeyObject {
  let object = keyObjects.get(key);
  if (!object) keyObjects.set(key, (object = createSecretKey(key)));
  return object;
}

/**
 * Messages up to this long (click ids, visitor hashes) are MACed by fast-sha256 from the key's
 * precomputed inner and outer states: a few SHA-256 blocks and no native call. node:crypto sets up
 * a fresh OpenSSL HMAC context for each call, which cost a tenth of the tracked redirect's time.
 * Longer messages (webhook bodies) go to node:crypto, which hashes bulk data faster. Both are
 * the same HMAC-SHA256, byte for byte.
 */
const SHORT_MESSAGE_BYTES = 256;
const utf8 = new TextEncoder();
const hmacStates = new WeakMap<Uint8Array, HMAC>();
/** Reused for ASCII parts: the HMAC copies what it is given before the next part is written here. */
const asciiScratch = new Uint8Array(SHORT_MESSAGE_BYTES);

/**
 * A short string's UTF-8 bytes. `TextEncoder.encode` costs ~2 µs per call for a short string in
 * Node 20 (a native call and a new array), more than the HMAC of it; an IP or a user agent is
 * ASCII, whose UTF-8 is its char codes, copied here in a loop. Other text goes to the encoder.
 */
function utf8Bytes(text: string): Uint8Array {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return utf8.encode(text);
    asciiScratch[i] = code;
  }
  return asciiScratch.subarray(0, text.length);
}

function hmacSha256(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array {
  // A string's UTF-8 may be longer than its length: this only chooses the faster path.
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > SHORT_MESSAGE_BYTES) {
    const mac = createHmac('sha256', keyObject(key));
    for (const part of parts) mac.update(part);
    return new Uint8Array(mac.digest());
  }
  let state = hmacStates.get(key);
  if (!state) hmacStates.set(key, (state = new HMAC(key)));
  state.reset();
  for (const part of parts) state.update(typeof part === 'string' ? utf8Bytes(part) : part);
  return state.digest();
}

// One-shot hashing (Node 20.12 and later) skips building a Hash object per call: half the cost
// of the order intake's content hash. Older Node 20 releases keep createHash.
const oneShotHash = (nodeCryptoModule as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex: (text: string) => string = oneShotHash
  ? (text) => oneShotHash('sha256', text, 'hex')
  : (text) => createHash('sha256').update(text).digest('hex');

export const nodeCrypto: AppCrypto = {
  hmacSha256,
  sha256Hex,
  randomBytes,
};
