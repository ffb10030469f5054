// What an end-to-end test does at the kiosk, in a person's terms: read the title, type a PIN, type the phone's
// code, read the one-time password, photograph the QR code. Plus screenshots and axe checks per screen.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { connectToIssuer } from '../../../contracts/issuer-caller.ts';
import type { IssuerConnection } from '../../../contracts/issuer-caller.ts';
import type { RunningBrowserHost } from '../../../main/browser-host/browser-host.ts';
import { pollForToken, startDeviceAuthorization } from '../../../phone/phone-client.ts';
import type { DeviceFlow, DeviceToken, PhoneReport, PhoneResult } from '../../../phone/phone-client.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-output', 'screenshots');

/** A kiosk screen upright and on its side (the kiosk tests' two orientations). */
export const KIOSK_LANDSCAPE = { width: 1920, height: 1080 } as const;
export const KIOSK_PORTRAIT = { width: 1080, height: 1920 } as const;

/** The languages the tests use, each with the button a person presses to pick it (every screen has them). */
const LANGUAGE_BUTTONS = { en: 'English', nl: 'Nederlands' } as const;
export type Lang = keyof typeof LANGUAGE_BUTTONS;

/** Presses the language's button; with `titleAfter`, waits for the screen's title in that language. */
export async function chooseLanguage(page: Page, lang: Lang, titleAfter?: string): Promise<void> {
  await page.getByRole('button', { name: LANGUAGE_BUTTONS[lang] }).click();
  if (titleAfter !== undefined) await waitForTitle(page, titleAfter);
}

/**
 * Pages of the browser hosts (kiosk, console) for one test file, each in a fresh context: its own cookie jar (the
 * launch secret) and what axe-core needs. Closed together by closeAll() in afterAll, before the browser: closing a
 * context from its page's 'close' event raced the browser's own close.
 */
export class HostPages {
  private readonly contexts: BrowserContext[] = [];

  async open(
    browser: Browser,
    host: Pick<RunningBrowserHost, 'newLaunchUrl'>,
    viewport: { width: number; height: number } = KIOSK_LANDSCAPE,
    initScript?: Parameters<BrowserContext['addInitScript']>[0],
  ): Promise<Page> {
    const context = await browser.newContext({ viewport });
    this.contexts.push(context);
    // Runs in the page before the renderer's own scripts (a stand-in for a browser API the test listens to).
    if (initScript !== undefined) await context.addInitScript(initScript);
    const page = await context.newPage();
    await page.goto(host.newLaunchUrl()); // launch URLs are single-use: one per browser context
    return page;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.contexts.splice(0).map((context) => context.close()));
  }
}

/** The phone's own HTTPS connection to the issuer the kiosk uses (the phone client, as on a real phone). */
export function phoneConnection(issuer: {
  readonly url: string;
  readonly tlsCertificatePem: string;
}): IssuerConnection {
  const connected = connectToIssuer(issuer.url, issuer.tlsCertificatePem);
  if (!connected.ok) throw new Error(connected.message);
  return connected.connection;
}

export async function waitForTitle(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  await page
    .getByRole('heading', { level: 1, name: title, exact: true })
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

export async function typePin(page: Page, pin: string): Promise<void> {
  await page.keyboard.type(pin);
  await page.keyboard.press('Enter');
}

export async function typeUserCode(page: Page, code: string): Promise<void> {
  const field = page.getByRole('textbox');
  await field.fill(code);
  await field.press('Enter');
}

/** The phone polling for its token as a real one does while the person is at the kiosk. */
export interface WaitingPhone {
  /** The number the phone shows once the kiosk shows it (number matching). */
  readonly matchNumber: Promise<string>;
  /** The token, once the kiosk approved (or the failure). */
  readonly token: Promise<PhoneResult<DeviceToken>>;
}

export function phoneWaitingForKiosk(phone: IssuerConnection, flow: DeviceFlow): WaitingPhone {
  let shown: (matchNumber: string) => void = () => undefined;
  const matchNumber = new Promise<string>((resolve) => {
    shown = resolve;
  });
  const token = pollForToken(phone, flow, { timeoutMs: 60_000, onMatchNumber: (number) => shown(number) });
  return { matchNumber, token };
}

/**
 * The confirm-device screen, as a person uses it: read the kiosk's number, compare it with the phone's, press
 * the answer (a button label). Returns the number the kiosk showed.
 */
export async function answerPhoneCheck(page: Page, phone: WaitingPhone, answer: string): Promise<string> {
  const digits = page.locator('.confirm-device__digits');
  await digits.waitFor({ state: 'visible', timeout: 15_000 });
  const atKiosk = (await digits.innerText()).trim();
  expect(atKiosk).toMatch(/^[0-9]{2}$/);
  expect(await phone.matchNumber).toBe(atKiosk);
  await page.getByRole('button', { name: answer, exact: true }).click();
  return atKiosk;
}

/** The kiosk's titles on the way to the QR screen, and the answer pressed at "is this your phone?". */
export interface QrWayTexts {
  readonly pin: string;
  readonly code: string;
  readonly confirm: string;
  readonly yes: string;
  readonly scan: string;
}

export interface QrWayOptions {
  /** What the phone reports about itself (shown at "is this your phone?"); the phone client's stand-in by default. */
  readonly phoneReport?: PhoneReport;
  /** The code as the person types it (the kiosk also takes it in lower case without the dash). */
  readonly typed?: (userCode: string) => string;
  /** Run on each screen on the way, once its title is up (screenshots, axe, what the screen says). */
  readonly at?: (screen: 'pin' | 'code' | 'confirm') => Promise<void>;
}

export interface AtQrScreen {
  readonly phone: IssuerConnection;
  readonly flow: DeviceFlow;
  /** The phone's token, once the kiosk approved (or the failure). */
  readonly token: Promise<PhoneResult<DeviceToken>>;
  /** The number the kiosk and the phone both showed. */
  readonly matchNumber: string;
}

/**
 * Card in (or going in), the PIN, the phone's side up to its device code (it then polls, as a phone does), the code
 * typed, the phone checked and confirmed (number matching): the QR screen. Returns what the phone needs.
 */
export async function reachQrScreen(
  page: Page,
  issuer: { readonly url: string; readonly tlsCertificatePem: string },
  texts: QrWayTexts,
  options: QrWayOptions = {},
): Promise<AtQrScreen> {
  const at = options.at ?? (() => Promise.resolve());
  await waitForTitle(page, texts.pin);
  await at('pin');
  await typePin(page, DEMO_PIN);
  await waitForTitle(page, texts.code);
  await at('code');
  const phone = phoneConnection(issuer);
  const flow = await startDeviceAuthorization(phone, options.phoneReport);
  if (!flow.ok) throw new Error(flow.message);
  const waiting = phoneWaitingForKiosk(phone, flow.value);
  await typeUserCode(page, options.typed === undefined ? flow.value.userCode : options.typed(flow.value.userCode));
  await waitForTitle(page, texts.confirm);
  await at('confirm');
  const matchNumber = await answerPhoneCheck(page, waiting, texts.yes);
  await waitForTitle(page, texts.scan);
  return { phone, flow: flow.value, token: waiting.token, matchNumber };
}

/** The OTP as a person reads it off the screen (grouped digits, spaces removed). */
export async function readOtp(page: Page): Promise<string> {
  const shown = await page.locator('.otp span[aria-hidden="true"]').innerText();
  return shown.replace(/\s+/g, '');
}

/** `fullPage: false` shows only what is in view (what a person sees without scrolling). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<Buffer> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const png = await page.screenshot({ fullPage });
  writeFileSync(join(SCREENSHOT_DIR, `${name}.png`), png);
  return png;
}

export function decodeQrWithJsqr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  const code = jsQR(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length),
    image.width,
    image.height,
  );
  return code?.data ?? null;
}

/** zbarimg's reading of the same screenshot: an independent decoder as a cross-check. */
export function decodeQrWithZbar(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('zbarimg', ['--quiet', '--raw', file], { timeout: 15_000 }, (error, stdout) => {
      if (error !== null && stdout === '') return reject(new Error(`zbarimg found no code (${error.message})`));
      resolve(stdout.split('\n').filter((line) => line !== ''));
    });
  });
}

export async function expectNoAxeViolations(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = results.violations.map((v) => `${screen}: ${v.id} (${v.nodes.length}) ${v.help}`);
  expect(summary).toEqual([]);
}
