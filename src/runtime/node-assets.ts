import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AssetReader } from '../core/deps';

/** Chart.js's browser build, read once from node_modules (no CDN: the network may be closed). */
export function nodeAssets(): AssetReader {
  const require = createRequire(import.meta.url);
  const files = { 'chart.js': join(dirname(require.resolve('chart.js')), 'chart.umd.min.js') } as const;
  const cache = new Map<string, Promise<string | undefined>>();
  return {
    read(name) {
      let text = cache.get(name);
      if (!text) {
        text = readFile(files[name], 'utf8').catch(() => undefined);
        cache.set(name, text);
      }
      return text;
    },
  };
}
