import { readFileSync } from 'node:fs';

/**
 * Reads a `node --cpu-prof` profile of a benchmarked server and says where its CPU time went
 * during the measured run, for the benches' `--profile` flags.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/(src|scripts|test)\//, '$1/');
}

/** node_modules/<package> (scoped too), a source file, or a node: module. */
function fileGroup(url: string): string {
  const file = shortUrl(url);
  if (file === '') return '(native / V8)';
  if (!file.startsWith('node_modules/')) return file;
  const parts = file.split('/');
  return parts.slice(0, parts[1]!.startsWith('@') ? 3 : 2).join('/');
}

/** tsx emits each module on one line: anonymous functions are told apart by column. */
function functionKey(frame: ProfileNode['callFrame']): string {
  const file = shortUrl(frame.url);
  const where =
    file === ''
      ? ''
      : `  ${file}${frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : ''}${frame.functionName ? '' : `@${frame.columnNumber}`}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

/**
 * Where the server's CPU went during the measured run only (the samples of the last `seconds`
 * before `stopLagSeconds` ahead of the end of the profile): self time by package / file, and
 * inclusive time by function (each sample counted once per function on its stack).
 */
export function summariseProfile(path: string, seconds: number, stopLagSeconds: number, top = 25): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const parent = new Map<number, ProfileNode>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node);
  }
  const windowEnd = profile.endTime - stopLagSeconds * 1e6;
  const windowStart = windowEnd - seconds * 1e6;
  const selfByFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  let t = profile.startTime;
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    t += us;
    if (t < windowStart || t > windowEnd) return;
    const leaf = byId.get(id)!;
    total += us;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    add(
      selfByFile,
      leaf.callFrame.url === '' ? `(native / V8) ${leaf.callFrame.functionName}` : fileGroup(leaf.callFrame.url),
      us,
    );
    const seen = new Set<string>();
    for (let node: ProfileNode | undefined = leaf; node; node = parent.get(node.id)) {
      const key = functionKey(node.callFrame);
      if (key === '(root)' || seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, us);
    }
  });
  const busy = total - idle;
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      );
  return [
    `server CPU profile ${path}`,
    `measured window: ${(total / 1e6).toFixed(1)} s sampled, server busy ${((100 * busy) / Math.max(total, 1)).toFixed(0)} % of it (idle ${(idle / 1e6).toFixed(1)} s); percentages below are of busy time`,
    'self time by package / file:',
    ...rows(selfByFile),
    'inclusive time by function (tsx puts each module on one line: anonymous functions are named by column):',
    ...rows(inclusive),
  ];
}
