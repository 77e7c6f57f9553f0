import type { Context } from 'hono';
import type { AssetName, AppDeps } from '../core/deps';

const CONTENT_TYPES: Record<AssetName, string> = {
  'chart.js': 'text/javascript; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
};

/**
 * Answers with one of the browser files the runtime provides (deps.assets): pinned npm
 * packages served by the service itself, never a CDN, so the pages work on a closed network.
 */
export async function serveAsset(c: Context, deps: Pick<AppDeps, 'assets'>, name: AssetName) {
  const source = await deps.assets?.read(name);
  if (source === undefined)
    return c.body(`/* ${name} is not available in this runtime */`, 404, { 'content-type': CONTENT_TYPES[name] });
  return c.body(source, 200, { 'content-type': CONTENT_TYPES[name], 'cache-control': 'public, max-age=86400' });
}
