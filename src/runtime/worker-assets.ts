import type { AssetReader } from '../core/deps';
import type { Fetcher } from '../store/d1/d1-types';

/**
 * The browser files (static-files.ts) on Workers, read through the assets binding and kept per
 * isolate. The binding serves the directory `scripts/collect-assets.ts` fills with the same
 * files Node reads from node_modules; with `run_worker_first` the Worker answers every path, so
 * only the app's own asset routes expose them.
 */
export function workerAssets(assets: Fetcher): AssetReader {
  const cache = new Map<string, Promise<string | undefined>>();
  return {
    read(name) {
      let text = cache.get(name);
      if (!text) {
        text = assets
          .fetch(`https://assets.invalid/${name}`)
          .then((response) => (response.ok ? response.text() : undefined))
          .catch(() => undefined);
        cache.set(name, text);
        // A miss is not kept: the next request tries again.
        void text.then((found) => found === undefined && cache.delete(name));
      }
      return text;
    },
  };
}
