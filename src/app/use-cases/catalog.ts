import type { CatalogItem } from '../../domain/catalog';
import { formatId } from '../../domain/ids';
import type { AppDeps } from '../deps';
import type { Principal } from '../env';
import { findOwnProgram } from './programs';

/** Replaces the program's catalogue in one transaction: readers see the old one or the new one. */
export async function replaceCatalog(
  deps: Pick<AppDeps, 'db'>,
  principal: Principal,
  programId: number | undefined,
  items: readonly CatalogItem[],
) {
  const program = await findOwnProgram(deps, principal, programId);
  await deps.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('catalog_items').where('program_id', '=', program.id).execute();
    // SQLite binds at most 32,766 parameters a statement: 3 per row.
    for (let i = 0; i < items.length; i += 5_000) {
      const chunk = items.slice(i, i + 5_000).map((item) => ({ program_id: program.id, sku: item.sku, category: item.category }));
      await trx.insertInto('catalog_items').values(chunk).execute();
    }
  });
  const categories = new Set(items.map((i) => i.category));
  return { programId: formatId('program', program.id), items: items.length, categories: [...categories].sort() };
}
