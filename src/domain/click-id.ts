import { decodeBase64Url, encodeBase64Url } from './base64url';
import { constantTimeEqual } from './constant-time';

/** The query parameter that carries the signed click id on the landing URL. */
export const CLICK_ID_PARAM = 'clid';

/**
 * A click id is self-describing and signed, so an order that brings one back can be attributed
 * without reading the click row (P2) and a forged or altered id attributes nothing (P15).
 *
 * Layout (then base64url, ~40 characters), version 2, minted now:
 *   version(1) clickedAt(6 bytes, epoch ms) keyId(varint) programId(varint) affiliateId(varint)
 *   linkId(varint) nonce(6 random bytes) tag(10 bytes = HMAC-SHA256 truncated)
 * Version 1, still verified, had the four varints before the time. The time comes first now
 * because the store keeps click ids in a unique index, in the ids' order: with the link first,
 * a service whose clicks go to many links inserted each click next to its link's last one, a
 * different index page per link in every commit; with the time first, the ids of one moment
 * share their first characters whatever their link and land together among the newest
 * (bench:redirect --links).
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

const LINK_FIRST = 1;
const TIME_FIRST = 2;
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

function readTime(bytes: Uint8Array, from: number): number {
  let ms = 0;
  for (let i = 0; i < 6; i++) ms = ms * 256 + bytes[from + i]!;
  return ms;
}

/** version, four varints of at most 8 bytes (safe integers), time, nonce, tag. */
const MAX_ID_BYTES = 1 + 4 * 8 + 6 + NONCE_BYTES + TAG_BYTES;

export function encodeClickId(fields: ClickIdFields, keyId: number, nonce: Uint8Array, sign: ClickIdSigner): string {
  if (nonce.length !== NONCE_BYTES) throw new Error(`click id nonce must be ${NONCE_BYTES} bytes`);
  // Written in place into one buffer: minted on every redirect, where building it from spread
  // arrays cost as much as the HMAC.
  const out = new Uint8Array(MAX_ID_BYTES);
  out[0] = TIME_FIRST;
  let t = fields.clickedAtMs;
  for (let b = 6; b >= 1; b--) {
    out[b] = t % 256;
    t = Math.floor(t / 256);
  }
  let i = writeVarint(out, 7, keyId);
  i = writeVarint(out, i, fields.programId);
  i = writeVarint(out, i, fields.affiliateId);
  i = writeVarint(out, i, fields.linkId);
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
  const version = bytes[0];
  if (version !== TIME_FIRST && version !== LINK_FIRST) return { ok: false, reason: 'malformed' };
  const payloadEnd = bytes.length - TAG_BYTES;
  const at = { i: version === TIME_FIRST ? 7 : 1 };
  const keyId = readVarint(bytes, at, payloadEnd);
  const programId = readVarint(bytes, at, payloadEnd);
  const affiliateId = readVarint(bytes, at, payloadEnd);
  const linkId = readVarint(bytes, at, payloadEnd);
  if (keyId === undefined || programId === undefined || affiliateId === undefined || linkId === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  // What follows the varints: the nonce (version 2), or the time and the nonce (version 1).
  if (payloadEnd - at.i !== (version === TIME_FIRST ? 0 : 6) + NONCE_BYTES) return { ok: false, reason: 'malformed' };
  const clickedAtMs = readTime(bytes, version === TIME_FIRST ? 1 : at.i);
  const payload = bytes.subarray(0, payloadEnd);
  const expected = sign(keyId, payload);
  if (!expected) return { ok: false, reason: 'unknown_key' };
  if (!constantTimeEqual(expected.subarray(0, TAG_BYTES), bytes.subarray(payloadEnd))) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true, click: { keyId, programId, affiliateId, linkId, clickedAtMs } };
}
