import { describe, expect, it } from 'vitest';
import { formatter, localeFrom } from '../../src/app/dashboard/format';
import { presets, previousPeriod } from '../../src/app/dashboard/report-range';

describe('dashboard number formatting', () => {
  it('takes the first language of Accept-Language this runtime knows, by weight', () => {
    expect(localeFrom('de-DE,de;q=0.9,en;q=0.5')).toBe('de-DE');
    expect(localeFrom('en;q=0.2, fr-CH;q=0.9')).toBe('fr-CH');
    expect(localeFrom('*, !!bad, xx-;q=1')).toBe('en-US');
    expect(localeFrom(undefined)).toBe('en-US');
  });

  it('prints amounts from their decimal strings to the last digit, grouped and in currency', () => {
    const en = formatter('en-US');
    const de = formatter('de-DE');
    expect(en.money('18163.05', 'EUR')).toBe('€18,163.05');
    expect(de.money('18163.05', 'EUR')).toBe('18.163,05\u00a0€');
    // Beyond a double's precision: still every digit the API sent.
    expect(en.money('90071992547409.93', 'EUR')).toBe('€90,071,992,547,409.93');
    expect(en.money('4000', 'JPY')).toBe('¥4,000');
    expect(en.money('-12.5', 'EUR')).toBe('-€12.50');
    // More decimals than the currency has (an EPC) are kept, not rounded.
    expect(en.money('0.123', 'EUR')).toBe('€0.123');
  });

  it('prints rates as percentages without losing digits, and changes with their sign', () => {
    const en = formatter('en-US');
    expect(en.percent('0.0655')).toBe('6.55%');
    expect(en.percent('0.065512')).toBe('6.5512%');
    expect(en.percent('0.1')).toBe('10%');
    expect(en.percent(null)).toBe('–');
    expect(en.change(110, 100)).toBe('+10%');
    expect(en.change(90, 100)).toBe('-10%');
    expect(en.change(5, 0)).toBe('–');
    expect(en.count(12345)).toBe('12,345');
  });

  it('offers the range presets and compares with the period of equal length before', () => {
    expect(presets('2026-03-15').map((p) => [p.label, p.from, p.to])).toEqual([
      ['Last 7 days', '2026-03-09', '2026-03-15'],
      ['Last 30 days', '2026-02-14', '2026-03-15'],
      ['Last 90 days', '2025-12-16', '2026-03-15'],
      ['Month to date', '2026-03-01', '2026-03-15'],
      ['Last month', '2026-02-01', '2026-02-28'],
    ]);
    expect(previousPeriod('2026-11-19', '2026-11-25')).toEqual({ from: '2026-11-12', to: '2026-11-18' });
    expect(previousPeriod('2026-01-01', '2026-01-31')).toEqual({ from: '2025-12-01', to: '2025-12-31' });
    expect(previousPeriod('2026-02-01', '2026-01-01')).toBeUndefined();
  });
});
