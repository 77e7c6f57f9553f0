import { currencyExponent } from './currency';

/**
 * The one money type: an integer number of minor units of one ISO 4217 currency.
 * Amounts cross the API as decimal strings; everything inside works on `minor`.
 */
export interface Money {
  readonly minor: number;
  readonly currency: string;
}

export type MoneyParseError = 'not_a_decimal' | 'negative' | 'too_many_decimals' | 'unknown_currency' | 'too_large';

const DECIMAL = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses a decimal string ("49.90") into minor units of `currency`. More decimals than the
 * currency has is an error, not a rounding: a shop sending "4.995" EUR has a bug we should show.
 */
export function parseMoney(
  text: string,
  currency: string,
  options: { allowNegative?: boolean } = {},
): { ok: true; value: Money } | { ok: false; error: MoneyParseError } {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) return { ok: false, error: 'unknown_currency' };
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, error: 'not_a_decimal' };
  const [, sign, whole = '0', fraction = ''] = match;
  if (sign === '-' && !options.allowNegative) return { ok: false, error: 'negative' };
  if (fraction.length > exponent) return { ok: false, error: 'too_many_decimals' };
  const digits = whole + fraction.padEnd(exponent, '0');
  const magnitude = Number(digits);
  if (!Number.isSafeInteger(magnitude)) return { ok: false, error: 'too_large' };
  const minor = sign === '-' ? -magnitude : magnitude;
  return { ok: true, value: { minor: minor === 0 ? 0 : minor, currency } };
}

/** Formats minor units as the decimal string the API and CSVs show ("49.90", "1000", "1.250"). */
export function formatMoney(money: Money): string {
  const exponent = currencyExponent(money.currency);
  if (exponent === undefined) throw new Error(`unknown currency ${money.currency}`);
  const negative = money.minor < 0;
  const digits = String(Math.abs(money.minor)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return (negative ? '-' : '') + (exponent === 0 ? whole : `${whole}.${fraction}`);
}

export const moneyParseMessages: Record<MoneyParseError, string> = {
  not_a_decimal: 'must be a decimal string such as "49.90"',
  negative: 'must not be negative',
  too_many_decimals: 'has more decimals than the currency allows',
  unknown_currency: 'uses an unknown ISO 4217 currency',
  too_large: 'is too large',
};
