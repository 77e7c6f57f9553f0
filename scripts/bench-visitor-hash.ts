// What a new visitor's hashes cost the redirect, the way it hashes them (track-click.ts: one
// HMAC of the address, the agent's memoised) against the way it did before (an HMAC of the
// address and another of address + agent, memoised per address and agent in nested Maps), side
// by side in one process: rounds alternate, each over the same new addresses and a mix of agents.
// In-process wall time: on a shared machine compare the two columns of one run, not runs.
//
//   npx tsx scripts/bench-visitor-hash.ts [-- --visitors 200000 --rounds 6]
import { parseArgs } from 'node:util';
import { encodeBase64Url } from '../src/domain/base64url';
import { nodeCrypto } from '../src/runtime/node-crypto';
import { visitorIdentity } from '../src/use-cases/track-click';
import { positiveInt } from './int-option';

const { values } = parseArgs({ options: { visitors: { type: 'string' }, rounds: { type: 'string' } } });
const visitors = positiveInt('visitors', values.visitors, 200_000);
const rounds = positiveInt('rounds', values.rounds, 6);

const AGENTS = [
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
];

/** The scheme before, as track-click.ts had it. */
const oldMemo = { size: 0, byIp: new Map<string, Map<string, { ipHash: string; visitorHash: string }>>() };
function hex(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}
function oldIdentity(key: Uint8Array, ip: string, userAgent: string) {
  let byAgent = oldMemo.byIp.get(ip);
  const hit = byAgent?.get(userAgent);
  if (hit) return hit;
  const identity = {
    ipHash: encodeBase64Url(nodeCrypto.hmacSha256(key, `ip\n${ip}`).subarray(0, 16)),
    visitorHash: hex(nodeCrypto.hmacSha256(key, `visitor\n${ip}\n${userAgent}`), 12),
  };
  if (oldMemo.size >= 20_000) {
    oldMemo.byIp.clear();
    oldMemo.size = 0;
    byAgent = undefined;
  }
  if (!byAgent) oldMemo.byIp.set(ip, (byAgent = new Map()));
  byAgent.set(userAgent, identity);
  oldMemo.size++;
  return identity;
}

const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
let sink = 0;
function run(round: number, hash: (ip: string, agent: string) => { visitorHash: string }): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < visitors; i++) {
    // A new address every time, across rounds too.
    const v = round * visitors + i;
    const ip = `${11 + (v % 200)}.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`;
    sink += hash(ip, AGENTS[v % AGENTS.length]!).visitorHash.length;
  }
  return Number(process.hrtime.bigint() - started) / visitors;
}

const before: number[] = [];
const now: number[] = [];
for (let round = 0; round < rounds; round++) {
  before.push(run(2 * round, (ip, agent) => oldIdentity(key, ip, agent)));
  now.push(run(2 * round + 1, (ip, agent) => visitorIdentity(nodeCrypto, key, ip, agent)));
  console.log(`round ${round + 1}: before ${before.at(-1)!.toFixed(0)} ns per new visitor, now ${now.at(-1)!.toFixed(0)} ns`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  `median over ${rounds} rounds of ${visitors.toLocaleString('en')} new visitors: before ${median(before).toFixed(0)} ns, ` +
    `now ${median(now).toFixed(0)} ns (${((100 * median(now)) / median(before)).toFixed(0)} %)${sink > 0 ? '' : ' '}`,
);
