import { createHash, createHmac, createSecretKey, type KeyObject, randomFillSync } from 'node:crypto';
import type { AppCrypto } from '../app/deps';

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

export const nodeCrypto: AppCrypto = {
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', keyObject(key)).update(data).digest()),
  sha256Hex: (text) => createHash('sha256').update(text).digest('hex'),
  randomBytes,
};
