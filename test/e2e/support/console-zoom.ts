// The agent console's 200% text check, shared by its e2e tests: the same screen with half the CSS pixels each way (as
// the kiosk's own 200% test does), a screenshot, nothing wider than the page (a table or a word that does not wrap
// would make it scroll sideways), and axe clean.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { expectNoAxeViolations, screenshot } from './kiosk-page.ts';

/** The console's window in the e2e tests. */
export const CONSOLE_VIEWPORT = { width: 1280, height: 900 };
/** 200% text: half the CSS pixels each way. */
export const ZOOM_200 = { width: 640, height: 450 };

/** Checks `page` at 200% as `agent-NAME-zoom200-LANG`; `restore`: back to CONSOLE_VIEWPORT afterwards. */
export async function shootAt200(page: Page, lang: string, name: string, restore = true): Promise<void> {
  await page.setViewportSize(ZOOM_200);
  // A dialog is drawn in the viewport: the screenshot shows what is in view; a screen, the whole page.
  await screenshot(page, `agent-${name}-zoom200-${lang}`, !(await page.getByRole('dialog').isVisible()));
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(ZOOM_200.width);
  await expectNoAxeViolations(page, `agent ${name} at 200% (${lang})`);
  if (restore) await page.setViewportSize(CONSOLE_VIEWPORT);
}
