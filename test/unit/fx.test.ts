import { describe, expect, it } from 'vitest';
import { convertMinor, isValidRate } from '../../src/domain/fx';

describe('currency conversion at a stored rate (P17, P18)', () => {
  it.each([
    [10000, 'USD', 'EUR', '0.9', 9000],
    [9999, 'USD', 'EUR', '0.5', 5000], // 49.995 → 50.00 (4999.5 → 5000)
    [9997, 'USD', 'EUR', '0.5', 4999], // 4998.5 → 4999, half away from zero
    [1000, 'JPY', 'EUR', '0.0061', 610], // ¥1,000 → 6.10 EUR
    [1000, 'EUR', 'JPY', '163.45', 1635], // 10.00 EUR → ¥1,634.5 → ¥1,635
    [12345, 'KWD', 'EUR', '2.98', 3679], // 12.345 KWD → 36.7881 → 36.79
    [0, 'USD', 'EUR', '0.9', 0],
  ])('%i %s → %s at %s = %i', (minor, from, to, rate, expected) => {
    expect(convertMinor(minor, from, to, rate)).toBe(expected);
  });

  it('refuses rates that are zero, negative, or too precise', () => {
    for (const bad of ['0', '0.000', '-1.2', '1e3', '1.1234567890123', '', '.5']) expect(isValidRate(bad)).toBe(false);
    for (const good of ['1', '0.9', '163.45', '0.000000000001']) expect(isValidRate(good)).toBe(true);
  });
});
