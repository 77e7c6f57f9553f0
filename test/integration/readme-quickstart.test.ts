import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, removeDir, startServer, type ServerProcess } from '../support/server-process';

/**
 * The README's quickstart, run as a new user runs it: its start line's environment on a fresh
 * DATA_DIR, then its shell blocks pasted in order into one bash, as written. Only the base URL
 * is changed (the server listens on a free port), and bash runs with `-e -o pipefail` so that a
 * failing step stops the run instead of scrolling past. It must end with the payout CSV the
 * README shows, to the cent, and the explanation and report must be what its prose says.
 */
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const README_BASE = 'BASE=http://localhost:8787';

let server: ServerProcess | undefined;
const dataDir = makeTempDir('clickledger-quickstart-');
const workDir = makeTempDir('clickledger-quickstart-shell-');

afterAll(async () => {
  await server?.kill('SIGTERM');
  removeDir(dataDir);
  removeDir(workDir);
});

function quickstartSection(markdown: string): string {
  const start = markdown.search(/^## Quickstart/m);
  expect(start, 'README has a "## Quickstart" section').toBeGreaterThanOrEqual(0);
  const rest = markdown.slice(start + 1);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

function fencedBlocks(section: string, language: string): string[] {
  const blocks: string[] = [];
  for (const match of section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    if (match[1] === language) blocks.push(match[2]!);
  }
  return blocks;
}

/** `A=1 B=2 npm start` → { A: '1', B: '2' }; anything else in the start block fails the test. */
function startEnvironment(block: string): Record<string, string> {
  const line = block.trim();
  const match = /^((?:[A-Z_]+=\S+ )+)npm start$/.exec(line);
  expect(match, `the quickstart's first block is "VAR=value … npm start": ${line}`).not.toBeNull();
  return Object.fromEntries(
    match![1]!
      .trim()
      .split(' ')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

function runBash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-e', '-o', 'pipefail', '-c', script],
      {
        cwd: workDir,
        // The node the suite runs on comes first, as `node` in a user's shell would be theirs.
        env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
        timeout: 90_000,
        maxBuffer: 10_000_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("the README's quickstart", () => {
  it('runs as written on a fresh data dir and ends with the payout CSV it shows', { timeout: 150_000 }, async () => {
    const section = quickstartSection(README);
    const [startBlock, ...steps] = fencedBlocks(section, 'sh');
    expect(steps.length, 'shell blocks after the start line').toBeGreaterThan(0);
    const env = startEnvironment(startBlock!);
    expect(env.DATA_DIR, 'the start line names its own, fresh DATA_DIR').toBeDefined();
    expect(env.ADMIN_TOKEN, 'the start line chooses the admin key').toBeDefined();

    const script = steps.join('\n');
    expect(
      script.split('\n').filter((line) => line === README_BASE),
      `one "${README_BASE}" line`,
    ).toHaveLength(1);

    server = await startServer({ dataDir, adminToken: env.ADMIN_TOKEN!, env: { ...env, DATA_DIR: dataDir } });
    const run = await runBash(script.replace(README_BASE, `BASE=${server.url}`));
    const output = `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- server ---\n${server.output()}`;
    expect(run.code, output).toBe(0);

    // The run ends with the CSV the README shows, line for line (the CSV's lines end in CRLF, RFC 4180).
    const [expectedCsv] = fencedBlocks(section, 'text');
    expect(expectedCsv, 'the README shows the CSV the run ends with').toBeDefined();
    const expected = expectedCsv!.trimEnd().split('\n');
    const lines = run.stdout.trimEnd().split(/\r?\n/);
    expect(lines.slice(-expected.length), output).toEqual(expected);
    expect(expected.at(-1)).toMatch(/^pay_\d+,aff_\d+,Sneaker Blog,blog@example\.com,EUR,7\.58,1,,$/);

    // What the prose says the run shows along the way.
    const explanation = /The explanation reads `([^`]+)`/.exec(section)?.[1];
    expect(explanation, 'the README quotes the ledger explanation').toBeDefined();
    expect(lines, output).toContain(explanation);
    const report = lines.find((line) => line.includes('"groupBy":"affiliate"'));
    expect(report, output).toBeDefined();
    const rows = (JSON.parse(report!) as { rows: { clicks: number; orders: number; commission: string }[] }).rows;
    expect(rows).toEqual([expect.objectContaining({ clicks: 1, orders: 1, commission: '7.58' })]);
  });
});
