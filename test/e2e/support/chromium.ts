// Debian's Chromium driven by playwright-core (no bundled browser download). Flags keep it quiet and offline.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.DCK_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/**
 * A developer without Debian's Chromium may skip the browser tests; CI never does (.ci/run installs it), so there a
 * missing browser fails the run loudly instead of passing by skipping.
 */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH) || process.env['CI'] === 'true';
}

export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}

/**
 * A page in its own context (axe needs one) whose context closes with it. The close runs from Playwright's 'close'
 * event, where nothing awaits it: when the browser itself is shutting down (afterAll) the context is already gone and
 * context.close() rejects with "Target page, context or browser has been closed". Left unhandled, that rejection
 * fails the whole vitest run even with every test green, so it is caught here; there is nothing left to close.
 */
export async function pageInOwnContext(
  browser: Browser,
  viewport: { width: number; height: number },
  options: { readonly acceptDownloads?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  page.on('close', () => {
    context.close().catch(() => undefined);
  });
  return page;
}
