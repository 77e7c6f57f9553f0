// Builds the server and the CLIs into dist/ as plain JavaScript (esbuild), so that production
// runs no TypeScript transpiler: no tsx loader in the server's memory or start-up. Plain .mjs on
// purpose: it runs before anything is built, at install (postinstall) and before `npm start` and
// the CLIs, where `--if-stale` makes it a few stat calls when dist/ is newer than every source.
//
// Every output file sits directly in dist/. Source files find their neighbours (sql/ migrations,
// node_modules packages) relative to `import.meta.url`; in a bundle that would be dist/x.js for
// every module, so each module's `import.meta.url` is rewritten to the URL its source file has,
// computed from the bundle's own location (no absolute path is baked in: the tree may move).
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT_DIR = join(ROOT, 'dist');
const STAMP = join(OUT_DIR, '.built');
const ENTRIES = {
  node: 'src/runtime/node.ts',
  batch: 'src/cli/batch.ts',
  payouts: 'src/cli/payouts.ts',
  reconcile: 'src/cli/reconcile.ts',
  migrate: 'src/cli/migrate.ts',
  seed: 'src/cli/seed.ts',
  'clickhouse-schema': 'src/cli/clickhouse-schema.ts',
};
/** What the build reads besides src/: a change to any of them makes dist/ stale. */
const INPUTS = ['package.json', 'tsconfig.json', 'scripts/build.mjs'];

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function isStale() {
  let built;
  try {
    built = statSync(STAMP).mtimeMs;
  } catch {
    return true;
  }
  const inputs = [join(ROOT, 'src'), ...INPUTS.map((file) => join(ROOT, file))];
  return inputs.some((path) => newestMtime(path) > built);
}

/** Gives each source module the `import.meta.url` of its own file, relative to dist/. */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const loader = args.path.endsWith('x') ? 'tsx' : 'ts';
      if (!text.includes('import.meta.url')) return { contents: text, loader };
      const fromDist = relative(OUT_DIR, args.path).split('\\').join('/');
      const url = `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader };
    });
  },
};

export async function build() {
  const esbuild = await import('esbuild');
  mkdirSync(OUT_DIR, { recursive: true });
  const started = Date.now();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
    outdir: OUT_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunk-[hash]',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [sourceUrls],
    write: false,
  });
  // Each file lands whole (written aside, then renamed): a test worker or a second `npm start`
  // building at the same moment, or a server starting meanwhile, never reads half a file.
  const written = new Set(['.built']);
  for (const file of result.outputFiles) {
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents);
    renameSync(aside, file.path);
    written.add(basename(file.path));
  }
  for (const name of readdirSync(OUT_DIR)) {
    if (!written.has(name) && !name.endsWith('.tmp')) rmSync(join(OUT_DIR, name), { force: true });
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.stderr.write(`dist/: built in ${Date.now() - started} ms\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--if-stale') || isStale()) await build();
}
