import type { CatalogItem } from '../domain/catalog';
import { formatId } from '../domain/ids';
import type { AppDeps } from '../core/deps';
import type { Principal } from '../core/principal';
import { findOwnProgram } from './programs';

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
  await writes.commit([
    db.deleteFrom('catalog_items').where('program_id', '=', program.id).compile(),
    // SKUs are unique per catalogue (checkCatalog), so after the delete nothing conflicts.
    ...writes.insertRows('catalog_items', rows, { columns: ['program_id', 'sku'] }),
  ]);
  const categories = new Set(items.map((i) => i.category));
  return { programId: formatId('program', program.id), items: items.length, categories: [...categories].sort() };
}
