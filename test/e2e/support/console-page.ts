// What an end-to-end test does at the desktop screens (the agent console, the "Set up this PC" app), in a person's
// terms: open the app in a language, sign in with the agent card and PIN, look a person up, pull the card; and the
// record of each screen: a screenshot checked by axe, at 1280×900 and at 200% text.
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { DemoEnvironment } from '../../../demo/demo-environment.ts';
import type { RunningBrowserHost } from '../../../main/browser-host/browser-host.ts';
import type { ThreadedVirtualCard } from '../../../virtual-card/threaded-virtual-card.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { pageInOwnContext } from './chromium.ts';
import { chooseLanguage, expectNoAxeViolations, screenshot, typePin, waitForTitle } from './kiosk-page.ts';
import type { Lang } from './kiosk-page.ts';

export const DESKTOP_VIEWPORT = { width: 1280, height: 900 } as const;
/** 200% text: the same screen with half the CSS pixels each way (as the kiosk's own 200% test does). */
export const DESKTOP_ZOOM_200 = { width: 640, height: 450 } as const;

/** A page of a desktop app's browser host in its own context (closed with the page), in the given language. */
export async function openDesktopApp(
  browser: Browser,
  host: Pick<RunningBrowserHost, 'newLaunchUrl'>,
  lang: Lang,
  options: { readonly acceptDownloads?: boolean } = {},
): Promise<Page> {
  const page = await pageInOwnContext(browser, DESKTOP_VIEWPORT, options);
  await page.goto(host.newLaunchUrl());
  if (lang === 'nl') await chooseLanguage(page, 'nl');
  return page;
}

export interface ScreenShooters {
  /** The whole page: a screenshot, then axe. */
  readonly shoot: (page: Page, lang: Lang, name: string) => Promise<void>;
  /**
   * The page at 200% text: a screenshot of what is in view (a dialog) or of the whole page (a screen), no text
   * running off the side, axe clean. `restore` puts the 1280×900 viewport back afterwards.
   */
  readonly shootAt200: (page: Page, lang: Lang, name: string, restore?: boolean) => Promise<void>;
}

/** Screenshots go to `<file>-<name>-<lang>.png` (`<file>-<name>-zoom200-<lang>.png`), axe's reports name `<label>`. */
export function screenShooters(file: string, label: string): ScreenShooters {
  return {
    shoot: async (page, lang, name) => {
      await screenshot(page, `${file}-${name}-${lang}`);
      await expectNoAxeViolations(page, `${label} ${name} (${lang})`);
    },
    shootAt200: async (page, lang, name, restore = true) => {
      await page.setViewportSize(DESKTOP_ZOOM_200);
      // A dialog is drawn in the viewport: the screenshot shows what is in view; a screen, the whole page.
      await screenshot(page, `${file}-${name}-zoom200-${lang}`, !(await page.getByRole('dialog').isVisible()));
      // Nothing wider than the page: a table or a word that does not wrap would make it scroll sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        DESKTOP_ZOOM_200.width,
      );
      await expectNoAxeViolations(page, `${label} ${name} at 200% (${lang})`);
      if (restore) await page.setViewportSize(DESKTOP_VIEWPORT);
    },
  };
}

/** The console's titles around signing in, and (when given) the line that names the signed-in agent. */
export interface SignInTexts {
  readonly pin: string;
  readonly people: string;
  readonly signedIn?: string;
}

/** The console's first title once the agent's card and PIN are taken, and the "Signed in as …" line if given. */
async function expectSignedIn(page: Page, texts: SignInTexts): Promise<void> {
  await waitForTitle(page, texts.people);
  const line = texts.signedIn;
  if (line !== undefined) await expect.poll(() => page.getByText(line).isVisible()).toBe(true);
}

/** The agent signs in: the PIN screen (`atPin` runs there: a screenshot), the card's PIN, the first screen. */
export async function signIn(page: Page, texts: SignInTexts, atPin?: () => Promise<void>): Promise<void> {
  await waitForTitle(page, texts.pin);
  if (atPin !== undefined) await atPin();
  await typePin(page, DEMO_PIN);
  await expectSignedIn(page, texts);
}

/** Signs in with the PIN when the console asks for it (the first page); a later page opens signed in (one session). */
export async function signedIn(page: Page, texts: SignInTexts): Promise<void> {
  const pin = page.getByRole('heading', { name: texts.pin });
  const people = page.getByRole('heading', { name: texts.people });
  await pin.or(people).first().waitFor({ timeout: 15_000 });
  if (await pin.isVisible()) await typePin(page, DEMO_PIN);
  await expectSignedIn(page, texts);
}

/** The demo's agent card (the console's demo always has one). */
export function agentCard(demo: DemoEnvironment): ThreadedVirtualCard {
  const card = demo.virtualCard;
  if (card === null) throw new Error('no virtual agent card');
  return card;
}

/**
 * The agent's card out, seen out (the console locks), then in again: the console asks for the PIN. A card back in
 * before the console saw it leave keeps the old session, and the PIN screen never comes (failed so in a CI check).
 */
export async function pullAndReinsert(
  page: Page,
  card: ThreadedVirtualCard,
  texts: { readonly locked: string; readonly pin: string },
): Promise<void> {
  await card.remove();
  await waitForTitle(page, texts.locked);
  await card.insert();
  await waitForTitle(page, texts.pin);
}

/** Where lookUpPerson stops for the test (a screenshot): the query typed, the results, the person's screen. */
export type LookUpStep = 'search' | 'results' | 'person';

/** Looks a person up by `query` (pressing `searchButton`) and opens the result named `name`. */
export async function lookUpPerson(
  page: Page,
  search: { readonly query: string; readonly searchButton: string; readonly name: string },
  at: (step: LookUpStep) => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  await page.getByRole('searchbox').fill(search.query);
  await at('search');
  await page.getByRole('button', { name: search.searchButton, exact: true }).click();
  const result = page.getByRole('button', { name: new RegExp(search.name) });
  await result.waitFor({ state: 'visible' });
  await at('results');
  await result.click();
  await waitForTitle(page, search.name);
  await at('person');
}
