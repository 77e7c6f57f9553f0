import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`); .ci/run installs it so CI never skips. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * The network here is closed: without these flags chromium stalls on connection attempts
 * (component updates, sync, QUIC probes). Each context gets a fresh profile directory.
 */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function openBrowser(
  options: { viewport?: { width: number; height: number }; locale?: string; bypassCSP?: boolean } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'clickledger-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    // The locale sets Accept-Language and navigator.language: the pages format numbers by it.
    locale: options.locale ?? 'en-US',
    acceptDownloads: true,
    // Only the accessibility test sets it: axe-core is injected as an inline script, which the pages' CSP forbids.
    bypassCSP: options.bypassCSP ?? false,
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
