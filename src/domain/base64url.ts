/** base64url without padding, and standard base64 to read, in plain code so the domain needs neither Buffer nor atob. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = lookupOf(ALPHABET);
const STANDARD_LOOKUP = lookupOf('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 61; // '='
/** Every 12-bit value as its two characters: half the string appends of one character at a time (a click id per redirect). */
const PAIRS: string[] = [];
for (let i = 0; i < 4096; i++) PAIRS.push(ALPHABET[i >> 6]! + ALPHABET[i & 63]!);

/** Encodes the first `length` bytes (all of them by default). */
export function encodeBase64Url(bytes: Uint8Array, length = bytes.length): string {
  let out = '';
  let i = 0;
  for (; i + 2 < length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += PAIRS[n >> 12]! + PAIRS[n & 4095]!;
  }
  const rest = length - i;
  if (rest === 1) {
    out += PAIRS[bytes[i]! << 4]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += PAIRS[n >> 12]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Standard base64 with padding (a Standard Webhooks signature, a `whsec_` secret). */
export function encodeBase64(bytes: Uint8Array): string {
  const url = encodeBase64Url(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}

/** Decodes strict base64url (no padding, no stray bits); undefined for anything else. */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  return decodeChars(text, text.length, LOOKUP);
}

/**
 * Standard base64 (with + / and padding) as bytes; undefined when it is not base64. As strict
 * as `decodeBase64Url` (no stray bits), with at most two `=`, whose count is not checked. Read
 * in its own alphabet rather than rewritten into base64url first: every signed event decodes its
 * signature.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === PAD) end--;
  if (text.length - end > 2) return undefined;
  return decodeChars(text, end, STANDARD_LOOKUP);
}

function decodeChars(text: string, end: number, lookup: Int16Array): Uint8Array | undefined {
  if (end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? lookup[code]! : -1;
    if (value < 0) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, otherwise two strings would decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

function lookupOf(alphabet: string): Int16Array {
  const lookup = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;
  return lookup;
}
