import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AssetName } from '../core/deps';

/**
 * The browser files the service serves itself (no CDN: it must work on a closed network), each
 * a file of a pinned npm package. Node reads them from node_modules; the Worker from its assets
 * directory, which `scripts/collect-assets.ts` fills from this same list.
 */
export const STATIC_FILES = {
  'chart.js': { pkg: 'chart.js', file: 'dist/chart.umd.min.js' },
  'swagger-ui.css': { pkg: 'swagger-ui-dist', file: 'swagger-ui.css' },
  'swagger-ui-bundle.js': { pkg: 'swagger-ui-dist', file: 'swagger-ui-bundle.js' },
} as const satisfies Record<AssetName, { pkg: string; file: string }>;

/** The assets directory wrangler.toml's `[assets]` serves to the Worker (made at install). */
export const WORKER_ASSETS_DIR = '.assets';

/**
 * Where a static file sits in node_modules. Packages' `exports` hide their dist files from
 * require.resolve, so the package's folder is found from its entry point instead.
 */
export function staticFilePath(name: AssetName): string {
  const { pkg, file } = STATIC_FILES[name];
  let dir = dirname(createRequire(import.meta.url).resolve(pkg));
  while (!isPackageRoot(dir, pkg)) {
    if (dirname(dir) === dir) throw new Error(`${pkg}: package folder not found`);
    dir = dirname(dir);
  }
  return join(dir, file);
}

function isPackageRoot(dir: string, pkg: string): boolean {
  const manifest = join(dir, 'package.json');
  return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg;
}
