import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { neutralizeCell } from '../../src/domain/csv-cell';

// A spreadsheet skips whitespace (NBSP, U+2028, U+2029 included), zero-width marks and `;`
// before it looks for a formula: a safe cell is one that starts with the apostrophe, or whose
// first character after those is no trigger.
const SKIPPED = /^[\s\u200b-\u200d\u2060\ufeff;]*/;
const TRIGGER = /^[=+\-@\uff1d\uff0b\uff0d\uff20]/;
const runsAsFormula = (cell: string) =>
  !cell.startsWith("'") && (/^[\t\r\n]/.test(cell) || TRIGGER.test(cell.replace(SKIPPED, '')));

describe('CSV cells a spreadsheet will not run (P19)', () => {
  const corpus = [
    '=1+1',
    '=HYPERLINK("http://evil.example","click")',
    '+1',
    '-1+2',
    '@SUM(A1:A2)',
    '\t=1',
    '\r=1',
    '\n=1',
    "=cmd|' /C calc'!A0",
    '\u0000=1',
    'a,b',
    '"quoted"',
    'line\nbreak',
    'Ünïcödé ✓',
    '',
    "'already",
    ' =1+1',
    '   @SUM(A1:A2)',
    '\u00a0=HYPERLINK("http://evil.example","x")',
    '\u2028=1',
    '\u2029+1',
    ';=cmd',
    ' ;\u00a0-1',
    '\u200b=1',
    '\ufeff=1',
    '\u3000=1',
    '\uff1d1+1',
  ];

  it.each([' =1', '\u00a0=1', '\u2028@A1', '\u2029-1', ';=1', '\u200b+1'])(
    'neutralises a formula after leading whitespace or separators: %j',
    (text) => {
      expect(neutralizeCell(text)).toBe(`'${text}`);
    },
  );

  it.each(['Plain Blog', 'a - b', 'x=1', 'pay@example.com', ' spaced', '\u00a0name', ';semi'])('leaves %j as it is', (text) => {
    expect(neutralizeCell(text)).toBe(text);
  });

  it.each(corpus)('neutralises %j and parses back to the same cell', (text) => {
    const cell = neutralizeCell(text);
    expect(runsAsFormula(cell)).toBe(false);
    expect(cell).not.toContain('\u0000');
    const [row] = parse(stringify([[cell, '12.50']])) as string[][];
    expect(row).toEqual([cell, '12.50']);
  });

  it('keeps 10,000 random strings formula-free and round-trips them through RFC 4180', () => {
    const alphabet = '=+-@\t\r\n\u0000",;|!\'abc XYZ019éあ😀\u00a0\u2028\u2029\u200b＝';
    let seed = 19;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const rows: string[][] = [];
    for (let i = 0; i < 10_000; i++) {
      const text = Array.from(
        { length: Math.floor(random() * 12) },
        () => [...alphabet][Math.floor(random() * [...alphabet].length)],
      ).join('');
      rows.push([neutralizeCell(text), String(i)]);
    }
    const parsed = parse(stringify(rows)) as string[][];
    expect(parsed).toEqual(rows);
    for (const [cell] of parsed) expect(runsAsFormula(cell!)).toBe(false);
  });
});
