import { decodeBase64Url, encodeBase64Url } from './base64url';
import { constantTimeEqual } from './constant-time';

/**
 * A click id is self-describing and signed, so an order that brings one back can be attributed
 * without reading the click row (P2) and a forged or altered id attributes nothing (P15).
 *
 * Layout (then base64url, ~40 characters):
 *   version(1) keyId(varint) programId(varint) affiliateId(varint) linkId(varint)
 *   clickedAt(6 bytes, epoch ms) nonce(6 random bytes) tag(10 bytes = HMAC-SHA256 truncated)
 *
 * The key id names the signing secret, so secrets rotate without breaking ids already out
 * in the world. 80 bits of tag make a blind forgery a 2^-80 guess.
 */
export interface ClickIdFields {
  programId: number;
  affiliateId: number;
  linkId: number;
  clickedAtMs: number;
}

export interface VerifiedClickId extends ClickIdFields {
  keyId: number;
}

/** HMAC-SHA256 under the secret with this key id; undefined when the key id is unknown. */
export type ClickIdSigner = (keyId: number, payload: Uint8Array) => Uint8Array | undefined;

export type ClickIdFailure = 'malformed' | 'unknown_key' | 'bad_signature';

const VERSION = 1;
const NONCE_BYTES = 6;
const TAG_BYTES = 10;
export const MAX_CLICK_ID_LENGTH = 64;

/** Writes `value` as a varint at `at`; returns the index after it. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let i = at;
  while (v >= 0x80) {
    out[i++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[i++] = v;
  return i;
}

function readVarint(bytes: Uint8Array, at: { i: number }, end: number): number | undefined {
  let value = 0;
  let scale = 1;
  for (let n = 0; n < 8; n++) {
    if (at.i >= end) return undefined;
    const b = bytes[at.i++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      // A trailing zero byte would give a second encoding of the same number.
      if (n > 0 && b === 0) return undefined;
      return Number.isSafeInteger(value) ? value : undefined;
    }
    scale *= 0x80;
  }
  return undefined;
}

/** version, four varints of at most 8 bytes (safe integers), time, nonce, tag. */
const MAX_ID_BYTES = 1 + 4 * 8 + 6 + NONCE_BYTES + TAG_BYTES;

export function encodeClickId(fields: ClickIdFields, keyId: number, nonce: Uint8Array, sign: ClickIdSigner): string {
  if (nonce.length !== NONCE_BYTES) throw new Error(`click id nonce must be ${NONCE_BYTES} bytes`);
  // Written in place into one buffer: minted on every redirect, where building it from spread
  // arrays cost as much as the HMAC.
  const out = new Uint8Array(MAX_ID_BYTES);
  out[0] = VERSION;
  let i = writeVarint(out, 1, keyId);
  i = writeVarint(out, i, fields.programId);
  i = writeVarint(out, i, fields.affiliateId);
  i = writeVarint(out, i, fields.linkId);
  let t = fields.clickedAtMs;
  for (let b = 5; b >= 0; b--) {
    out[i + b] = t % 256;
    t = Math.floor(t / 256);
  }
  i += 6;
  out.set(nonce, i);
  i += NONCE_BYTES;
  const tag = sign(keyId, out.subarray(0, i));
  if (!tag) throw new Error(`no click signing secret with key id ${keyId}`);
  // Byte by byte rather than through subarray views: each view is an allocation.
  for (let b = 0; b < TAG_BYTES; b++) out[i + b] = tag[b]!;
  return encodeBase64Url(out, i + TAG_BYTES);
}

export function verifyClickId(
  text: string,
  sign: ClickIdSigner,
): { ok: true; click: VerifiedClickId } | { ok: false; reason: ClickIdFailure } {
  if (text.length === 0 || text.length > MAX_CLICK_ID_LENGTH) return { ok: false, reason: 'malformed' };
  const bytes = decodeBase64Url(text);
  if (!bytes || bytes.length < 1 + 4 + 6 + NONCE_BYTES + TAG_BYTES) return { ok: false, reason: 'malformed' };
  if (bytes[0] !== VERSION) return { ok: false, reason: 'malformed' };
  const payloadEnd = bytes.length - TAG_BYTES;
  const at = { i: 1 };
  const keyId = readVarint(bytes, at, payloadEnd);
  const programId = readVarint(bytes, at, payloadEnd);
  const affiliateId = readVarint(bytes, at, payloadEnd);
  const linkId = readVarint(bytes, at, payloadEnd);
  if (keyId === undefined || programId === undefined || affiliateId === undefined || linkId === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  if (payloadEnd - at.i !== 6 + NONCE_BYTES) return { ok: false, reason: 'malformed' };
  let clickedAtMs = 0;
  for (let i = 0; i < 6; i++) clickedAtMs = clickedAtMs * 256 + bytes[at.i + i]!;
  const payload = bytes.subarray(0, payloadEnd);
  const expected = sign(keyId, payload);
  if (!expected) return { ok: false, reason: 'unknown_key' };
  if (!constantTimeEqual(expected.subarray(0, TAG_BYTES), bytes.subarray(payloadEnd))) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true, click: { keyId, programId, affiliateId, linkId, clickedAtMs } };
}
