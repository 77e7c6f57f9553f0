import { describe, expect, it } from 'vitest';
import { currencyExponent } from '../../src/domain/currency';
import { formatMoney, parseMoney } from '../../src/domain/money';
import { basisPointsToPercent, percentToBasisPoints } from '../../src/domain/rate';

describe('money as integer minor units (P17)', () => {
  it.each([
    ['49.90', 'EUR', 4990],
    ['0', 'EUR', 0],
    ['0.01', 'EUR', 1],
    ['12', 'EUR', 1200],
    ['1000', 'JPY', 1000],
    ['1.250', 'KWD', 1250],
    ['0.5', 'KWD', 500],
    ['90071992547409.91', 'EUR', 9007199254740991],
  ])('parses %s %s as %i minor units', (text, currency, minor) => {
    expect(parseMoney(text, currency)).toEqual({ ok: true, value: { minor, currency } });
  });

  it.each([
    ['4.995', 'EUR', 'too_many_decimals'],
    ['1.5', 'JPY', 'too_many_decimals'],
    ['1.2345', 'KWD', 'too_many_decimals'],
    ['-1.00', 'EUR', 'negative'],
    ['1e3', 'EUR', 'not_a_decimal'],
    ['01.00', 'EUR', 'not_a_decimal'],
    [' 1.00', 'EUR', 'not_a_decimal'],
    ['1.', 'EUR', 'not_a_decimal'],
    ['', 'EUR', 'not_a_decimal'],
    ['NaN', 'EUR', 'not_a_decimal'],
    ['1.00', 'EURO', 'unknown_currency'],
    ['1.00', 'eur', 'unknown_currency'],
    ['90071992547409.92', 'EUR', 'too_large'],
  ])('refuses %s %s (%s)', (text, currency, error) => {
    expect(parseMoney(text, currency)).toEqual({ ok: false, error });
  });

  it('accepts negatives only when asked, for adjustments', () => {
    expect(parseMoney('-0.05', 'EUR', { allowNegative: true })).toEqual({ ok: true, value: { minor: -5, currency: 'EUR' } });
  });

  it.each([
    [4990, 'EUR', '49.90'],
    [5, 'EUR', '0.05'],
    [-5, 'EUR', '-0.05'],
    [1000, 'JPY', '1000'],
    [1250, 'KWD', '1.250'],
    [0, 'KWD', '0.000'],
  ])('formats %i %s as %s', (minor, currency, text) => {
    expect(formatMoney({ minor, currency })).toBe(text);
  });

  it('round-trips every amount it formats', () => {
    for (const currency of ['EUR', 'JPY', 'KWD', 'CLF']) {
      for (let i = 0; i < 2000; i++) {
        const minor = Math.floor(Math.random() * 1e12);
        const parsed = parseMoney(formatMoney({ minor, currency }), currency);
        expect(parsed).toEqual({ ok: true, value: { minor, currency } });
      }
    }
  });

  it('knows the exponents of the ISO 4217 list', () => {
    expect([currencyExponent('JPY'), currencyExponent('EUR'), currencyExponent('KWD'), currencyExponent('CLF')]).toEqual([
      0, 2, 3, 4,
    ]);
    expect(currencyExponent('XAU')).toBeUndefined();
  });
});

describe('rates as integer basis points', () => {
  it.each([
    ['8', 800],
    ['2.9', 290],
    ['2.95', 295],
    ['0', 0],
    ['100', 10000],
  ])('%s %% is %i bp', (text, bp) => {
    expect(percentToBasisPoints(text)).toBe(bp);
    expect(basisPointsToPercent(bp)).toBe(text);
  });

  it.each(['100.01', '2.955', '-1', '08', '1e1', '', '.5'])('refuses %s', (text) => {
    expect(percentToBasisPoints(text)).toBeUndefined();
  });
});
