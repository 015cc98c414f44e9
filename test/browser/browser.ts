/**
 * Debian's Chromium driven by playwright-core (never Playwright's own browser download): installed by
 * scripts/ensure-chromium.sh where it is missing, launched headless with the flags the project's machines need
 * (no sandbox as root, no background networking against the closed network) and a fresh profile per launch.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Chromium from Debian's packages when it is missing (about 20 s, once per machine). */
export const ensureChromium = (): void => {
  if (existsSync(CHROMIUM)) return;
  execFileSync('bash', ['scripts/ensure-chromium.sh'], { stdio: 'inherit', timeout: 300_000 });
};

/**
 * A browser with a fresh profile of its own (Playwright passes it as --user-data-dir); `close()` ends the browser and
 * removes the profile.
 */
export const launchBrowser = async (options: { width?: number; height?: number } = {}): Promise<{ browser: BrowserContext; close: () => Promise<void> }> => {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
};
