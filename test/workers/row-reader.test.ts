import { env } from 'cloudflare:test';
import { d1RowReader } from '../../src/store/d1/d1-row-reader';
import { d1AtomicWrites } from '../../src/store/d1/d1-atomic-writes';
import { openD1 } from '../../src/store/d1/d1-open';
import { describeRowReader } from '../shared/row-reader.case';

// The shared RowReader suite on D1 (raw()), inside workerd over Miniflare's local D1.
describeRowReader('D1', async () => ({ db: openD1(env.DB), writes: d1AtomicWrites(env.DB), rows: d1RowReader(env.DB) }));
