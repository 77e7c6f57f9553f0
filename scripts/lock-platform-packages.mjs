// chdb ships its engine in one optional package per platform (@chdb/lib-<os>-<cpu>). The npm
// registry this project's machines reach holds only the Linux x64 one, so `npm install` here
// leaves the others out of package-lock.json and `npm ci` then refuses the lock as out of sync.
// This adds the missing entries, marked for their own os and cpu, so npm skips them on Linux
// without fetching anything. Idempotent; run after `npm install` (CI runs it before `npm ci`).
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
const platforms = {
  '@chdb/lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@chdb/lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@chdb/lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  '@chdb/lib-linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
};
let added = 0;
for (const [name, version] of Object.entries(chdb?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key] || !platforms[name]) continue;
  lock.packages[key] = { version, ...platforms[name], license: 'Apache-2.0', optional: true };
  added++;
}
if (added > 0) writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
if (added > 0) console.log(`package-lock.json: ${added} chdb platform package entr${added === 1 ? 'y' : 'ies'} added`);
