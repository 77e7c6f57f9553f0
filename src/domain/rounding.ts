/**
 * The one rounding rule for money (P17): round half to even ("banker's rounding") at the
 * currency's minor unit, on exact integer arithmetic. Every amount that is not a whole number
 * of minor units (a percent of a base, a pro-rated refund, a converted price) goes through here.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  if (denominator < 0n) return divideHalfEven(-numerator, -denominator);
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  const twice = (n % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** `amount × numerator / denominator`, rounded half-even, for safe-integer minor units. */
export function scaleHalfEven(amount: number, numerator: number, denominator: number): number {
  const result = divideHalfEven(BigInt(amount) * BigInt(numerator), BigInt(denominator));
  const asNumber = Number(result);
  if (!Number.isSafeInteger(asNumber)) throw new RangeError('amount out of range');
  return asNumber;
}
