import { env } from 'cloudflare:test';
import { d1AtomicWrites } from '../../src/store/d1/d1-atomic-writes';
import { openD1 } from '../../src/store/d1/d1-open';
import { describeAtomicWrites } from '../shared/atomic-writes.case';

// The shared unit-of-work suite on D1 (one batch()), inside workerd over Miniflare's local D1.
describeAtomicWrites('D1', async () => ({ db: openD1(env.DB), writes: d1AtomicWrites(env.DB) }));
