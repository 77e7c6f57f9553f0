import { formatMoney } from './money';
import { divideRounded } from './rounding';

/** What one report row adds up, before the ratios: counts and minor units of one currency. */
export interface ReportTotals {
  clicks: number;
  uniqueClicks: number;
  orders: number;
  revenueMinor: number;
  commissionMinor: number;
  estimatedMinor: number;
  settledMinor: number;
}

export const emptyTotals = (): ReportTotals => ({
  clicks: 0,
  uniqueClicks: 0,
  orders: 0,
  revenueMinor: 0,
  commissionMinor: 0,
  estimatedMinor: 0,
  settledMinor: 0,
});

/** `numerator ÷ denominator` as a decimal string with `places` decimals (the one rounding rule); null for ÷ 0. */
export function ratio(numerator: number, denominator: number, places = 4): string | null {
  if (denominator === 0) return null;
  const scaled = divideRounded(BigInt(numerator) * 10n ** BigInt(places), BigInt(denominator));
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(places + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/**
 * A report row as the API shows it. conversionRate = orders ÷ clicks; EPC (earnings per click) =
 * commission ÷ clicks in minor units; costRatio = commission ÷ revenue, what the merchant pays
 * per unit of sales. Each is rounded once, by the one rule; null where the divisor is 0.
 */
export function reportRow(key: string, currency: string, t: ReportTotals) {
  const money = (minor: number) => formatMoney({ minor, currency });
  return {
    key,
    currency,
    clicks: t.clicks,
    uniqueClicks: t.uniqueClicks,
    orders: t.orders,
    revenue: money(t.revenueMinor),
    commission: money(t.commissionMinor),
    commissionEstimated: money(t.estimatedMinor),
    commissionSettled: money(t.settledMinor),
    conversionRate: ratio(t.orders, t.clicks),
    epc: t.clicks === 0 ? null : money(Number(divideRounded(BigInt(t.commissionMinor), BigInt(t.clicks)))),
    costRatio: ratio(t.commissionMinor, t.revenueMinor),
  };
}

export type ReportRow = ReturnType<typeof reportRow>;
