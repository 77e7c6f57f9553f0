import { readFile } from 'node:fs/promises';
import type { AssetReader } from '../core/deps';
import { staticFilePath } from './static-files';

/** The browser files (static-files.ts), read once each from node_modules. */
export function nodeAssets(): AssetReader {
  const cache = new Map<string, Promise<string | undefined>>();
  return {
    read(name) {
      let text = cache.get(name);
      if (!text) {
        text = Promise.resolve(name)
          .then((found) => readFile(staticFilePath(found), 'utf8'))
          .catch(() => undefined);
        cache.set(name, text);
      }
      return text;
    },
  };
}
