import { currencyExponent } from './currency';
import type { OrderSnapshot } from './order';
import { divideRounded } from './rounding';

/**
 * Conversion between currencies at a stored decimal rate ("1 EUR = 1.0834 USD"), exactly: the
 * rate is a fraction of integers, minor units are scaled by the two currencies' exponents, and
 * each converted amount is rounded once, half away from zero (P17, P18).
 */
export interface FxRate {
  /** Decimal string, at most 12 decimals. */
  rate: string;
  source: string;
  effectiveAt: string;
}

const RATE = /^(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,12}))?$/;

export function isValidRate(text: string): boolean {
  const match = RATE.exec(text);
  return match !== null && !/^0(\.0*)?$/.test(text);
}

export function convertMinor(minor: number, from: string, to: string, rate: string): number {
  const match = RATE.exec(rate);
  if (!match) throw new Error(`invalid rate ${rate}`);
  const fraction = match[2] ?? '';
  const numerator = BigInt(match[1]! + fraction);
  const denominator = 10n ** BigInt(fraction.length);
  const fromExp = BigInt(currencyExponent(from)!);
  const toExp = BigInt(currencyExponent(to)!);
  const result = divideRounded(BigInt(minor) * numerator * 10n ** toExp, denominator * 10n ** fromExp);
  return Number(result);
}

/** The order with every amount converted once into `to`. */
export function convertOrder(order: OrderSnapshot, to: string, rate: string): OrderSnapshot {
  const c = (minor: number) => convertMinor(minor, order.currency, to, rate);
  return {
    ...order,
    currency: to,
    shippingMinor: c(order.shippingMinor),
    taxMinor: c(order.taxMinor),
    nonCashMinor: c(order.nonCashMinor),
    lines: order.lines.map((l) => ({
      ...l,
      unitPriceMinor: c(l.unitPriceMinor),
      discountMinor: c(l.discountMinor),
      ...(l.refundedAmountMinor ? { refundedAmountMinor: c(l.refundedAmountMinor) } : {}),
    })),
  };
}
