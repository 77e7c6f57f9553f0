// Copies the browser files the service serves (src/runtime/static-files.ts) from node_modules
// into the Worker's assets directory. Runs after every install (postinstall) and before every
// wrangler build (wrangler.toml [build]); Node itself reads the files from node_modules.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { STATIC_FILES, WORKER_ASSETS_DIR, staticFilePath } from '../src/runtime/static-files';

const target = join(import.meta.dirname, '..', WORKER_ASSETS_DIR);
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const names = Object.keys(STATIC_FILES) as (keyof typeof STATIC_FILES)[];
for (const name of names) copyFileSync(staticFilePath(name), join(target, name));
console.log(`${WORKER_ASSETS_DIR}/: ${names.join(', ')}`);
