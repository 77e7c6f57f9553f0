import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The served /openapi.json, linted by Redocly's CLI (pinned, bundled, run offline with its
 * telemetry and update check off) with the ruleset in redocly.yaml, and every JSON answer of
 * every operation typed: no schema that says nothing (`{}`, an object of unknown values).
 */
const root = process.cwd();
// The path .redocly.lint-ignore.yaml names.
const documentPath = join(root, '.tmp', 'openapi.json');
let t: TestApp;
let document: OpenApi;

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
}
interface OpenApi {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>>;
  components?: { schemas?: Record<string, Schema> };
}

beforeAll(async () => {
  t = await startTestApp();
  const text = await (await t.request('/openapi.json')).text();
  document = JSON.parse(text) as OpenApi;
  mkdirSync(join(root, '.tmp'), { recursive: true });
  writeFileSync(documentPath, text);
});
afterAll(() => t.close());

/** Where a schema leaves a value untyped, as paths into it. */
function untyped(schema: Schema, at: string, seen = new Set<string>()): string[] {
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return [];
    seen.add(schema.$ref);
    const name = schema.$ref.replace('#/components/schemas/', '');
    return untyped(document.components!.schemas![name]!, name, seen);
  }
  const parts = [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  if (parts.length > 0) return parts.flatMap((p, i) => untyped(p, `${at}|${i}`, seen));
  if (schema.enum !== undefined || schema.const !== undefined) return [];
  if (schema.type === undefined) return [at];
  const found: string[] = [];
  for (const [key, value] of Object.entries(schema.properties ?? {})) found.push(...untyped(value, `${at}.${key}`, seen));
  if (schema.items) found.push(...untyped(schema.items, `${at}[]`, seen));
  if (typeof schema.additionalProperties === 'object') found.push(...untyped(schema.additionalProperties, `${at}{}`, seen));
  if (schema.type === 'object' && !schema.properties && typeof schema.additionalProperties !== 'object') found.push(at);
  return found;
}

describe('/openapi.json', () => {
  it('types every JSON answer of every operation', () => {
    const loose: string[] = [];
    let answers = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const schema = response.content?.['application/json']?.schema;
          if (!schema) continue;
          answers++;
          loose.push(...untyped(schema, `${method.toUpperCase()} ${path} ${status}`));
        }
      }
    }
    expect(answers).toBeGreaterThan(100);
    expect(loose).toEqual([]);
  });

  it("passes Redocly's lint with the project's ruleset, offline", async () => {
    const cli = join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const result = await promisify(execFile)(process.execPath, [cli, 'lint', documentPath, '--format=stylish'], {
      cwd: root,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      timeout: 120_000,
    }).catch((error: { stdout: string; stderr: string; code: number }) => error);
    const output = `${result.stdout}\n${result.stderr}`;
    // recommended-strict makes every problem an error, and any error a non-zero exit.
    expect([(result as { code?: number }).code ?? 0, output]).toEqual([0, expect.stringContaining('Your API description is valid')]);
  }, 150_000);
});
