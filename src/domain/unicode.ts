/**
 * A lone UTF-16 surrogate ("\ud800" in JSON) is no character: it cannot be written as UTF-8, so
 * an identifier holding one breaks whatever encodes it later (a CSV, ClickHouse, a shop's API)
 * and never equals what the caller meant. Identifiers refuse it at the door.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

export const LONE_SURROGATE_MESSAGE = 'must be valid Unicode (a lone surrogate is not a character)';
