// What an end-to-end test does at the kiosk, in a person's terms: read the title, type a PIN, type the phone's
// code, read the one-time password, photograph the QR code. Plus screenshots and axe checks per screen.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { IssuerConnection } from '../../../contracts/issuer-caller.ts';
import { pollForToken } from '../../../phone/phone-client.ts';
import type { DeviceFlow, DeviceToken, PhoneResult } from '../../../phone/phone-client.ts';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-output', 'screenshots');

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
