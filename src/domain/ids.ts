/**
 * Public ids are a kind prefix plus the row number ("prg_42"): readable in logs and support
 * tickets, impossible to pass an affiliate id where a program id belongs. Tenant checks, not
 * unguessable ids, are what keep one merchant out of another's objects.
 */
export const idKinds = {
  merchant: 'mer',
  affiliate: 'aff',
  program: 'prg',
  link: 'lnk',
  key: 'key',
  payout: 'pay',
  event: 'evt',
  webhookEndpoint: 'whe',
  webhookDelivery: 'whd',
  postbackToken: 'ptk',
  adjustment: 'adj',
  audit: 'aud',
} as const;

export type IdKind = keyof typeof idKinds;

export function formatId(kind: IdKind, id: number): string {
  return `${idKinds[kind]}_${id}`;
}

/** The row number behind a public id, or undefined for anything that is not a valid id of that kind. */
export function parseId(kind: IdKind, text: string): number | undefined {
  const prefix = `${idKinds[kind]}_`;
  if (!text.startsWith(prefix)) return undefined;
  const digits = text.slice(prefix.length);
  if (!/^[1-9][0-9]{0,14}$/.test(digits)) return undefined;
  return Number(digits);
}
