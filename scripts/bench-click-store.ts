/**
 * `npm run bench:click-store [-- --clicks 60000 --warm 300000 --group 30 --links 1 --visitors 1 --rate 10000 --memory N]`
 *
 * The redirect's SQLite part alone: the real click recorder on a fresh store in a temp directory,
 * fed groups of clicks as the redirect's event loop would (`--group` per commit), with click ids
 * minted and signed as the redirect mints them. First `--warm` clicks fill the tables and
 * indexes, then `--clicks` are measured. `--links N` spreads them over N links and `--visitors N`
 * over N visitors taking turns (so most clicks are a visitor's first of the hour when N is large).
 * `--rate` is clicks per simulated second: at 50, the default run spans two hours, so the unique
 * flag's memory forgets as much as it learns, as it does on a server up for more than an hour.
 * `--memory N` caps that memory at N (link, visitor) pairs (`UNIQUE_VISITORS_IN_MEMORY`), so that
 * with more visitors than that in an hour the oldest spill to the store.
 *
 * Prints CPU per click (this process, from `process.cpuUsage`, checkpoints included) and the WAL
 * frames each commit wrote: the store checkpoints itself every `CHECKPOINT_EVERY` commits (as the
 * server's background checkpoint keeps its WAL short) and adds up the frames each checkpoint
 * found. The frame count does not move with the machine's load: it is the figure to compare when
 * the host is noisy; CPU per click is not.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeClickId } from '../src/domain/click-id';
import { nodeCrypto } from '../src/runtime/node-crypto';
import type { ClickToRecord } from '../src/store/click-recorder';
import { openSqlite } from '../src/store/sqlite/sqlite-open';
import { DEFAULT_MAX_REMEMBERED } from '../src/store/recent-visitors';
import { createSqliteClickRecorder } from '../src/store/sqlite/sqlite-click-recorder';
import { makeTempDir, removeDir } from '../test/support/server-process';
import { positiveInt } from './int-option';

/** Commits between checkpoints: about the server's 500 ms at 2,000 commits a second. */
const CHECKPOINT_EVERY = 1000;
const AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

function readOptions() {
  const { values } = parseArgs({
    options: {
      clicks: { type: 'string' },
      warm: { type: 'string' },
      group: { type: 'string' },
      links: { type: 'string' },
      visitors: { type: 'string' },
      rate: { type: 'string' },
      memory: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: tsx scripts/bench-click-store.ts [--clicks 60000] [--warm 300000] [--group 30] [--links 1] [--visitors 1] [--rate 10000] [--memory N]',
    );
    process.exit(0);
  }
  return {
    clicks: positiveInt('clicks', values.clicks, 60_000),
    warm: positiveInt('warm', values.warm, 300_000),
    group: positiveInt('group', values.group, 30),
    links: positiveInt('links', values.links, 1),
    visitors: positiveInt('visitors', values.visitors, 1),
    rate: positiveInt('rate', values.rate, 10_000),
    memory: positiveInt('memory', values.memory, DEFAULT_MAX_REMEMBERED),
  };
}

async function main() {
  const options = readOptions();
  const dir = makeTempDir('clickledger-bench-click-store-');
  const path = join(dir, 'clickledger.sqlite');
  const store = openSqlite({ path, synchronous: 'NORMAL', checkpoint: 'inline' });
  try {
    const recorder = createSqliteClickRecorder(store.raw, { maxRemembered: options.memory });
    const signingKey = new Uint8Array(randomBytes(32));
    const sign = (_keyId: number, payload: Uint8Array) => nodeCrypto.hmacSha256(signingKey, payload);
    const visitorHashes = Array.from({ length: options.visitors }, () => randomBytes(12).toString('hex'));
    // Simulated time, `--rate` clicks a second, ending about now.
    const startMs = Date.now() - Math.ceil(((options.warm + options.clicks) / options.rate) * 1000);
    let sent = 0;
    const click = (): ClickToRecord => {
      const n = sent++;
      const clickedAtMs = startMs + Math.floor((n * 1000) / options.rate);
      const linkId = (n % options.links) + 1;
      return {
        clickId: encodeClickId({ programId: 1, affiliateId: 1, linkId, clickedAtMs }, 1, nodeCrypto.randomBytes(6), sign),
        linkId,
        programId: 1,
        affiliateId: 1,
        clickedAt: new Date(clickedAtMs).toISOString(),
        ipHash: 'bench-ip-hash-000000000',
        visitorHash: visitorHashes[n % options.visitors]!,
        userAgent: AGENT,
        browser: 'Chrome',
        os: 'Linux',
        device: 'desktop',
        isBot: false,
        country: 'DE',
        refererHost: '',
        subIds: {},
        paidSearchParam: null,
      };
    };
    let frames = 0;
    // PASSIVE reports the frames in the WAL; TRUNCATE then empties it (its own report reads 0),
    // so each checkpoint counts only the frames written since the last.
    const checkpoint = () => {
      const [result] = store.raw.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
      frames += result!.log;
      store.raw.pragma('wal_checkpoint(TRUNCATE)');
    };
    const run = async (count: number, label: string) => {
      const groups = Math.ceil(count / options.group);
      for (let g = 0; g < groups; g++) {
        const size = Math.min(options.group, count - g * options.group);
        await Promise.all(Array.from({ length: size }, () => recorder.record(click())));
        if ((g + 1) % CHECKPOINT_EVERY === 0) checkpoint();
        if ((g + 1) % Math.max(1, Math.floor(groups / 5)) === 0 || g + 1 === groups) {
          console.log(
            `[bench] ${label}: ${Math.min((g + 1) * options.group, count).toLocaleString('en-US')} of ${count.toLocaleString('en-US')} clicks`,
          );
        }
      }
      return groups;
    };

    store.raw.pragma('wal_autocheckpoint = 0');
    await run(options.warm, 'warming');
    checkpoint();
    frames = 0;
    const uniqueBefore = store.raw.prepare('SELECT count(*) FROM clicks WHERE is_unique = 1').pluck().get() as number;
    const cpuBefore = process.cpuUsage();
    const commits = await run(options.clicks, 'measuring');
    checkpoint();
    const cpu = process.cpuUsage(cpuBefore);
    const pageSize = store.raw.pragma('page_size', { simple: true }) as number;
    const unique = (store.raw.prepare('SELECT count(*) FROM clicks WHERE is_unique = 1').pluck().get() as number) - uniqueBefore;

    console.log('');
    console.log(
      `${options.clicks.toLocaleString('en-US')} clicks in commits of ${options.group} after ${options.warm.toLocaleString('en-US')} warm-up clicks; ` +
        `${options.links.toLocaleString('en-US')} link(s), ${options.visitors.toLocaleString('en-US')} visitor(s), ` +
        `${options.rate.toLocaleString('en-US')} clicks per simulated second; ` +
        `${((100 * unique) / options.clicks).toFixed(1)} % of the measured clicks unique`,
    );
    const spilled = store.raw.prepare('SELECT count(*) FROM unique_visitors').pluck().get() as number;
    console.log(
      `unique-flag memory      ${options.memory.toLocaleString('en-US')} pairs; ${spilled.toLocaleString('en-US')} pairs spilled to unique_visitors at the end`,
    );
    console.log(
      `WAL frames per commit   ${(frames / commits).toFixed(2)} (${(frames / options.clicks).toFixed(3)} per click, ${pageSize}-byte pages)`,
    );
    console.log(
      `CPU per click           ${((cpu.user + cpu.system) / options.clicks).toFixed(1)} µs (${(cpu.system / options.clicks).toFixed(1)} µs of it in the kernel)`,
    );
  } finally {
    await store.close();
    removeDir(dir);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
