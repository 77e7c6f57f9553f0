/**
 * The one rounding rule for money (P17): round half away from zero at the currency's minor unit,
 * on exact integer arithmetic. Every amount that is not a whole number of minor units (a percent
 * of a base, a pro-rated refund, a converted price) goes through here.
 *
 * Why not half-even: P17 (docs/promises.md) and the commission issue's proof fix the worked example
 * "500¢ × 2.9% = 15¢, not 14" (Dub's rounding table), which is exactly 14.5¢ and only rounding
 * half up gives 15. Rounding away from zero keeps a reversal the exact negation of what it
 * reverses: round(-x) = -round(x).
 */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  if (denominator < 0n) return divideRounded(-numerator, -denominator);
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let quotient = n / denominator;
  if ((n % denominator) * 2n >= denominator) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** `amount × numerator / denominator`, rounded half away from zero, for safe-integer minor units. */
export function scaleRounded(amount: number, numerator: number, denominator: number): number {
  const result = divideRounded(BigInt(amount) * BigInt(numerator), BigInt(denominator));
  const asNumber = Number(result);
  if (!Number.isSafeInteger(asNumber)) throw new RangeError('amount out of range');
  return asNumber;
}
