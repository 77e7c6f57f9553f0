import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickSecrets } from '../core/deps';
import { parseSigningKeys } from './config';

/** Temp file, fsync, rename: a crash leaves the old file or the new one, never half of one (P24). */
function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

interface StoredSecrets {
  clickKeys: { id: number; secret: string }[];
  visitorKey: string;
}

/**
 * Secrets the service makes for itself on first start and keeps under DATA_DIR, so click ids
 * signed before a restart still verify after it. CLICK_SIGNING_KEYS, when set, replaces the
 * stored click keys (rotation: put the new key first and keep the old ones after it).
 */
export function loadClickSecrets(dataDir: string, signingKeys: string | undefined): ClickSecrets {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'secrets.json');
  let stored: StoredSecrets;
  if (existsSync(path)) {
    stored = JSON.parse(readFileSync(path, 'utf8')) as StoredSecrets;
  } else {
    stored = {
      clickKeys: [{ id: 1, secret: randomBytes(32).toString('base64url') }],
      visitorKey: randomBytes(32).toString('base64url'),
    };
    writeAtomically(path, JSON.stringify(stored, null, 2));
  }
  const clickKeys = signingKeys ? parseSigningKeys(signingKeys) : stored.clickKeys;
  const keys = new Map<number, Uint8Array>();
  for (const key of clickKeys) keys.set(key.id, new TextEncoder().encode(key.secret));
  return {
    signingKeyId: clickKeys[0]!.id,
    keys,
    visitorKey: new TextEncoder().encode(stored.visitorKey),
  };
}
