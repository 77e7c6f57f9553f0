import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env';

type Document = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/**
 * A stable operationId for every operation, made from its method and path
 * (`GET /v1/orders/{id}` → `getOrdersById`), so client generators name their methods the same
 * way from one release to the next without each route spelling one out; method and path are
 * unique, so these are too.
 */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '' && s !== 'v1')
    .flatMap((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      return param ? ['by', ...param[1]!.split(/[-_]/)] : segment.split(/[-_.]/);
    });
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

export function withOperationIds(document: Document): Document {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (operation && operation.operationId === undefined) operation.operationId = operationIdOf(method, path);
    }
  }
  return document;
}
