import type { CompiledQuery } from 'kysely';
import type { CatalogItem } from '../../domain/catalog';
import { formatId } from '../../domain/ids';
import type { AppDeps } from '../deps';
import type { Principal } from '../env';
import { findOwnProgram } from './programs';

/** Rows per multi-row INSERT on SQLite: 3 values each, under its 32,766 bound parameters. */
const INSERT_ROWS = 5_000;

/** Replaces the program's catalogue in one unit of work: readers see the old one or the new one. */
export async function replaceCatalog(
  deps: Pick<AppDeps, 'db' | 'writes'>,
  principal: Principal,
  programId: number | undefined,
  items: readonly CatalogItem[],
) {
  const program = await findOwnProgram(deps, principal, programId);
  const rows = items.map((item) => ({ program_id: program.id, sku: item.sku, category: item.category }));
  const { writes, db } = deps;
  function* statements(): Generator<CompiledQuery> {
    yield db.deleteFrom('catalog_items').where('program_id', '=', program.id).compile();
    // SKUs are unique per catalogue (checkCatalog), so after the delete nothing conflicts.
    if (writes.insertIgnoringConflicts) {
      yield* writes.insertIgnoringConflicts('catalog_items', ['program_id', 'sku'], rows);
      return;
    }
    const size = Math.min(INSERT_ROWS, Math.floor(writes.maxBoundParameters / 3));
    for (let i = 0; i < rows.length; i += size)
      yield db
        .insertInto('catalog_items')
        .values(rows.slice(i, i + size))
        .compile();
  }
  await writes.commit(statements());
  const categories = new Set(items.map((i) => i.category));
  return { programId: formatId('program', program.id), items: items.length, categories: [...categories].sort() };
}
