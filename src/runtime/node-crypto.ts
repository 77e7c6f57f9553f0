import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { AppCrypto } from '../app/deps';

export const nodeCrypto: AppCrypto = {
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
  sha256Hex: (text) => createHash('sha256').update(text).digest('hex'),
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
};
