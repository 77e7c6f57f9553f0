import { describe, expect, it } from 'vitest';
import { readWorkerEnv, WorkerEnvError } from '../../src/runtime/worker-env';

// The Workers entry's config reader: bindings and secrets checked before anything is built.
const d1 = { prepare: () => undefined, batch: () => undefined };
const queue = { send: () => undefined };
const valid = {
  DB: d1,
  CLICKS: queue,
  CLICK_SIGNING_KEYS: '2:current-signing-secret-for-tests-0123456789',
  VISITOR_HASH_KEY: 'visitor-key-for-workers-tests-0123456789',
  PUBLIC_URL: 'https://go.example.com',
};

function issues(env: Record<string, unknown>): string {
  try {
    readWorkerEnv(env);
  } catch (error) {
    if (error instanceof WorkerEnvError) return error.message;
    throw error;
  }
  return '';
}

describe('readWorkerEnv', () => {
  it('accepts a complete environment and applies the defaults', () => {
    expect(readWorkerEnv(valid)).toMatchObject({ PUBLIC_URL: 'https://go.example.com', BODY_LIMIT_BYTES: 1024 * 1024 });
  });

  it('names every missing binding and secret, an empty string counting as missing', () => {
    const message = issues({ PUBLIC_URL: 'https://go.example.com', VISITOR_HASH_KEY: '' });
    for (const name of ['DB', 'CLICKS', 'CLICK_SIGNING_KEYS', 'VISITOR_HASH_KEY']) expect(message).toContain(`${name}:`);
    expect(message).not.toContain('PUBLIC_URL');
  });

  it('refuses a binding of the wrong kind and a malformed key list', () => {
    const message = issues({ ...valid, DB: queue, CLICK_SIGNING_KEYS: 'secret-without-id' });
    expect(message).toContain('DB: must be a D1 database binding');
    expect(message).toContain('CLICK_SIGNING_KEYS: must be "keyId:secret');
  });

  it('refuses a short visitor key and a PUBLIC_URL that is not http(s)', () => {
    const message = issues({ ...valid, VISITOR_HASH_KEY: 'short', PUBLIC_URL: 'ftp://go.example.com' });
    expect(message).toContain('VISITOR_HASH_KEY: must be at least 32 characters');
    expect(message).toContain('PUBLIC_URL');
  });

  it('takes an optional ADMIN_TOKEN under the Node rule, and an assets binding', () => {
    expect(readWorkerEnv(valid).ADMIN_TOKEN).toBeUndefined();
    expect(readWorkerEnv({ ...valid, ADMIN_TOKEN: 'workers-admin-token-0123456789abcdef' }).ADMIN_TOKEN).toBe(
      'workers-admin-token-0123456789abcdef',
    );
    expect(issues({ ...valid, ADMIN_TOKEN: 'short' })).toContain('ADMIN_TOKEN: must be at least 24 characters');
    expect(issues({ ...valid, ASSETS: 'not a binding' })).toContain('ASSETS: must be a static assets binding');
  });
});
