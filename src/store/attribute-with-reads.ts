import type { AttributionLookups, NewOrderAttribution } from './order-intake-store';

/** The attribution lookups answered by a store that can only read asynchronously (D1, PostgreSQL). */
export interface AsyncAttributionLookups {
  clickRow(clickId: string): Promise<{ paidSearchParam: string | null } | undefined>;
  couponOwner(programId: number, code: string): Promise<number | null>;
  membership(programId: number, affiliateId: number): Promise<'approved' | 'suspended' | null>;
  isCustomer(merchantId: number, affiliateId: number, customerRef: string): Promise<boolean>;
}

/** Thrown by a lookup whose answer is not read yet; the caller reads it and runs attribution again. */
const NOT_READ = Symbol('not read yet');

/**
 * Attribution is a pure function of the lookups' answers, which the SQLite intake serves
 * synchronously inside its transaction. Elsewhere each answer is read before: run it, and on a
 * lookup not read yet, read that one and run it again (at most a handful of rounds: click,
 * coupon, and membership and customer of one or two affiliates).
 */
export async function attributeWithReads(
  reads: AsyncAttributionLookups,
  attributeNew: (lookups: AttributionLookups) => NewOrderAttribution,
): Promise<NewOrderAttribution> {
  const answers = new Map<string, unknown>();
  for (;;) {
    let wanted: { key: string; read: () => Promise<unknown> } | undefined;
    const ask = <T>(key: string, read: () => Promise<T>): T => {
      if (answers.has(key)) return answers.get(key) as T;
      wanted = { key, read };
      throw NOT_READ;
    };
    const lookups: AttributionLookups = {
      clickRow: (clickId) => ask(`click:${clickId}`, () => reads.clickRow(clickId)),
      couponOwner: (programId, code) => ask(`coupon:${programId}:${code}`, () => reads.couponOwner(programId, code)),
      membership: (programId, affiliateId) =>
        ask(`member:${programId}:${affiliateId}`, () => reads.membership(programId, affiliateId)),
      isCustomer: (merchantId, affiliateId, ref) =>
        ask(`customer:${merchantId}:${affiliateId}:${ref}`, () => reads.isCustomer(merchantId, affiliateId, ref)),
    };
    try {
      return attributeNew(lookups);
    } catch (error) {
      if (error !== NOT_READ || !wanted) throw error;
      answers.set(wanted.key, await wanted.read());
    }
  }
}
