/**
 * Commission rates are integer basis points (1 bp = 0.01 %), so "2.9" percent is 290 bp and
 * no rate is ever a binary float. Percent strings with more than two decimals are refused.
 */
const PERCENT = /^(0|[1-9][0-9]{0,2})(?:\.([0-9]{1,2}))?$/;

export function percentToBasisPoints(text: string): number | undefined {
  const match = PERCENT.exec(text);
  if (!match) return undefined;
  const bp = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return bp <= 10_000 ? bp : undefined;
}

export function basisPointsToPercent(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const fraction = bp % 100;
  if (fraction === 0) return String(whole);
  return `${whole}.${String(fraction).padStart(2, '0').replace(/0$/, '')}`;
}
