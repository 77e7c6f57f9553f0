import { describe, expect, it } from 'vitest';
import { multiRowInserts } from '../../src/store/atomic-writes';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, name: `n${i}`, note: null }));
const sizes = (statements: ReturnType<typeof multiRowInserts>) => statements.map((s) => s.parameters.length / 3);

describe('multiRowInserts', () => {
  it('cuts 1,000 rows into power-of-two statements, every value bound in row order', () => {
    const statements = multiRowInserts('t', rows(1000), { columns: ['id'] }, 32_766);
    expect(sizes(statements)).toEqual([512, 256, 128, 64, 32, 8]);
    expect(statements.flatMap((s) => s.parameters)).toEqual(rows(1000).flatMap((r) => [r.id, r.name, r.note]));
    expect(statements[5]!.sql).toBe(
      `INSERT INTO "t" ("id", "name", "note") VALUES ${Array(8).fill('(?, ?, ?)').join(', ')} ON CONFLICT ("id") DO NOTHING`,
    );
  });

  it('keeps each statement within the bound-parameter limit and says the upsert', () => {
    const statements = multiRowInserts('t', rows(7), { columns: ['id'], update: ['name'] }, 10);
    expect(sizes(statements)).toEqual([2, 2, 2, 1]);
    expect(statements.every((s) => s.parameters.length <= 10)).toBe(true);
    expect(statements[3]!.sql).toBe(
      'INSERT INTO "t" ("id", "name", "note") VALUES (?, ?, ?) ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name"',
    );
    expect(multiRowInserts('t', [], { columns: ['id'] }, 10)).toEqual([]);
  });
});
