import { currencyExponent } from './currency';
import type { OrderSnapshot } from './order';
import { divideRounded } from './rounding';

/**
 * Conversion between currencies at a stored decimal rate ("1 EUR = 1.0834 USD"), exactly: the
 * rate is a fraction of integers, minor units are scaled by the two currencies' exponents, and
 * each converted amount is rounded once, half away from zero (P17, P18). A stored rate serves
 * both directions: the other way it is used as `1/rate`, still an exact fraction, never a
 * rounded decimal.
 */
export interface FxRate {
  /** Decimal string, at most 12 decimals. */
  rate: string;
  source: string;
  effectiveAt: string;
}

const RATE = /^(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,12}))?$/;
/** A stored rate used the other way round: `1/1.0834` converts USD to EUR with EUR/USD 1.0834. */
const INVERSE = /^1\/(.+)$/;

export function isValidRate(text: string): boolean {
  const match = RATE.exec(text);
  return match !== null && !/^0(\.0*)?$/.test(text);
}

/** The rate that converts quote into base with a stored base/quote rate: exact, as a fraction. */
export function inverseRate(rate: string): string {
  return `1/${rate}`;
}

/** A rate (decimal, or `1/decimal` for an inverse) as an exact fraction of integers. */
function rateFraction(rate: string): { numerator: bigint; denominator: bigint } {
  const inverse = INVERSE.exec(rate);
  const decimal = inverse ? inverse[1]! : rate;
  const match = RATE.exec(decimal);
  if (!match || !isValidRate(decimal)) throw new Error(`invalid rate ${rate}`);
  const fraction = match[2] ?? '';
  const digits = BigInt(match[1]! + fraction);
  const scale = 10n ** BigInt(fraction.length);
  return inverse ? { numerator: scale, denominator: digits } : { numerator: digits, denominator: scale };
}

export function convertMinor(minor: number, from: string, to: string, rate: string): number {
  const { numerator, denominator } = rateFraction(rate);
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
