import { currencyExponent } from '../currency';
import { parseMoney } from '../money';
import { divideRounded } from '../rounding';
import { CLICK_ID_PARAM } from '../click-id';

/** A platform payload that cannot be mapped: the intake answers 422 and stores nothing. */
export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

/**
 * JSON.parse, but integers of 16 digits or more under a key ending in "id" are kept as strings:
 * Shopify's ids (820982911946154508) are past 2^53 and would silently change as numbers, and a
 * refund names its order only by such a number. Only real keys are touched (a quote escaped
 * inside a string is preceded by a backslash).
 */
export function parsePlatformJson(text: string): unknown {
  return JSON.parse(text.replace(/(?<!\\)"([A-Za-z_]*id)"(\s*):(\s*)(-?[0-9]{16,})(?=\s*[,}\]])/g, '"$1"$2:$3"$4"'));
}

export interface PlatformMoney {
  minor: number;
  /** Set when the shop sent more decimals than the currency has and the amount was rounded. */
  rounded?: string;
}

/**
 * A platform's decimal amount (string or number) in minor units. Shops format with their own
 * number of decimals ("1000.00" JPY, "12.3450" EUR): zeros past the currency's exponent are
 * dropped; other extra digits are rounded half away from zero with the one rounding rule and
 * reported, never dropped silently.
 */
export function platformMoney(
  value: unknown,
  currency: string,
  path: string,
  options: { allowNegative?: boolean } = {},
): PlatformMoney {
  const text =
    typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new MappingError(`currency ${currency} is not an ISO 4217 currency`);
  const match = text === undefined ? null : /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) throw new MappingError(`${path} must be a decimal amount`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  if (sign === '-' && !options.allowNegative) throw new MappingError(`${path} must not be negative`);
  const trimmed = fraction.replace(/0+$/, '');
  if (trimmed.length <= exponent) {
    const parsed = parseMoney(`${sign}${BigInt(whole)}${trimmed ? `.${trimmed}` : ''}`, currency, { allowNegative: true });
    if (!parsed.ok) throw new MappingError(`${path} is out of range`);
    return { minor: parsed.value.minor };
  }
  const scaled = BigInt(`${sign}${whole}${trimmed}`);
  const minor = Number(divideRounded(scaled, 10n ** BigInt(trimmed.length - exponent)));
  if (!Number.isSafeInteger(minor)) throw new MappingError(`${path} is out of range`);
  return { minor, rounded: `${path} ${text} rounded to the currency's minor unit` };
}

/** An ISO 8601 time with an offset (as both platforms send it) as UTC; `naiveIsUtc` for WooCommerce's *_gmt fields. */
export function platformTime(value: unknown, path: string, options: { naiveIsUtc?: boolean } = {}): string {
  if (typeof value !== 'string') throw new MappingError(`${path} must be a date-time`);
  const hasZone = /(Z|[+-][0-9]{2}:?[0-9]{2})$/.test(value);
  if (!hasZone && !options.naiveIsUtc) throw new MappingError(`${path} must carry a UTC offset`);
  const ms = Date.parse(hasZone ? value : `${value}Z`);
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}T/.test(value) || Number.isNaN(ms)) throw new MappingError(`${path} must be a date-time`);
  return new Date(ms).toISOString();
}

/** An id as the platforms send them (number or string) as text. */
export function platformId(value: unknown, path: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^[0-9A-Za-z_-]{1,64}$/.test(value)) return value;
  throw new MappingError(`${path} must be an id`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function arrayOf(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MappingError(`${path} must be an array`);
  return value;
}

export function positiveInt(value: unknown, path: string, options: { allowZero?: boolean } = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (options.allowZero ? 0 : 1) || value > 1_000_000) {
    throw new MappingError(`${path} must be a whole number${options.allowZero ? '' : ' of at least 1'}`);
  }
  return value;
}

/** A click id from a landing URL or path with query ("/p/42?clid=…"), if it has one. */
export function clickIdFromUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const id = new URL(value, 'https://landing.invalid/').searchParams.get(CLICK_ID_PARAM);
    return id ? id.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
