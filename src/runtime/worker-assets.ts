import type { AssetReader } from '../core/deps';
import type { Fetcher } from '../store/d1/d1-types';

/** Where each file the pages ask for sits in the assets directory (wrangler.toml `[assets]`). */
const FILES = { 'chart.js': '/chart.umd.min.js' } as const;

/**
 * The dashboards' static files on Workers, read through the assets binding and kept per
 * isolate. The binding serves Chart.js's own dist directory, the file Node reads from
 * node_modules; with `run_worker_first` the Worker answers every path, so only /app/assets/…
 * exposes it.
 */
export function workerAssets(assets: Fetcher): AssetReader {
  const cache = new Map<string, Promise<string | undefined>>();
  return {
    read(name) {
      let text = cache.get(name);
      if (!text) {
        text = assets
          .fetch(`https://assets.invalid${FILES[name]}`)
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
