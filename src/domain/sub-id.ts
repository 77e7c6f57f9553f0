/**
 * Sub-ids are the affiliate's own labels (campaign, placement). They arrive on public URLs, so
 * they are cleaned rather than refused: a visitor must still land. Control characters (CR/LF
 * included) are dropped and the length is capped; they never reach a response header.
 */
export const SUB_ID_KEYS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;
export type SubIdKey = (typeof SUB_ID_KEYS)[number];
export type SubIds = Partial<Record<SubIdKey, string>>;
export const MAX_SUB_ID_LENGTH = 128;

export function cleanSubId(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const cleaned = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '')
    .trim()
    .slice(0, MAX_SUB_ID_LENGTH);
  return cleaned.length > 0 ? cleaned : undefined;
}

/** The link's own sub-ids, overridden by any given on the tracking URL. */
export function mergeSubIds(linkSubIds: SubIds, overrides: SubIds): SubIds {
  const merged: SubIds = {};
  for (const key of SUB_ID_KEYS) {
    const value = overrides[key] !== undefined ? overrides[key] : linkSubIds[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
