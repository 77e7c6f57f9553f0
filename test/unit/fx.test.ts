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

describe('a stored rate used the other way round', () => {
  it.each([
    [10000, 'USD', 'EUR', '1/1.0834', 9230], // 100.00 USD ÷ 1.0834 = 92.302… EUR
    [1635, 'JPY', 'EUR', '1/163.45', 1000], // ¥1,635 ÷ 163.45 = 10.0031 EUR → 10.00
    [3679, 'EUR', 'KWD', '1/2.98', 12346], // 36.79 EUR ÷ 2.98 = 12.34564… KWD → 12.346
    [5, 'USD', 'EUR', '1/2', 3], // 0.025 → 0.03, half away from zero
    [100_000_000_000, 'USD', 'EUR', '1/1.0834', 92_302_012_184], // 500000000000000/5417 = …183.866 exactly
  ])('%i %s → %s at %s = %i', (minor, from, to, rate, expected) => {
    expect(convertMinor(minor, from, to, rate)).toBe(expected);
  });
});
