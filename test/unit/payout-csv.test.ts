import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { neutralizeCell } from '../../src/domain/csv-cell';

const FORMULA_START = /^[=+\-@\t\r\n]/;

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
  ];

  it.each(corpus)('neutralises %j and parses back to the same cell', (text) => {
    const cell = neutralizeCell(text);
    expect(cell).not.toMatch(FORMULA_START);
    expect(cell).not.toContain('\u0000');
    const [row] = parse(stringify([[cell, '12.50']])) as string[][];
    expect(row).toEqual([cell, '12.50']);
  });

  it('keeps 10,000 random strings formula-free and round-trips them through RFC 4180', () => {
    const alphabet = '=+-@\t\r\n\u0000",;|!\'abc XYZ019éあ😀';
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
    for (const [cell] of parsed) expect(cell).not.toMatch(FORMULA_START);
  });
});
