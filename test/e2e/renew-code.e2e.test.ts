// "New code" end to end: when the QR code and one-time password run out, the person asks for a fresh pair at the
// kiosk; the old pair no longer works and the phone finishes with the new one. Real issuer, virtual card, Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startBrowserKiosk } from '../../demo/browser-kiosk.ts';
import type { BrowserKiosk } from '../../demo/browser-kiosk.ts';
import { redeemEnrollment } from '../../phone/phone-client.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import { decodeQrWithJsqr, reachQrScreen, readOtp, waitForTitle } from './support/kiosk-page.ts';

// Short enough to run out during the test, long enough for the phone to redeem the fresh pair on a loaded machine.
const OTP_LIFETIME_SECONDS = 8;

describe.skipIf(!chromiumAvailable())('kiosk in Chromium: a QR code that runs out', () => {
  let browser: Browser;
  let kiosk: BrowserKiosk;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await launchChromium();
    kiosk = await startBrowserKiosk({
      virtualCard: 'always',
      cardholderName: 'Ada Lovelace',
      completionWaitSeconds: 5,
      issuerConfig: { otp: { lifetimeSeconds: OTP_LIFETIME_SECONDS } },
    });
  }, 180_000);
  afterAll(async () => {
    await kiosk?.stop();
    await browser?.close();
  });

  it('offers "New code", shows a fresh QR and password, refuses the old pair and accepts the new one', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(kiosk.host.newLaunchUrl());
      await waitForTitle(page, 'Insert your smart card');
      await page.getByRole('button', { name: 'Use the demo virtual card' }).click();
      const { phone, token: approved } = await reachQrScreen(page, kiosk.demo.issuer, {
        pin: 'Enter your PIN',
        code: 'Enter the code shown on your phone',
        confirm: 'Is this your phone?',
        yes: 'Yes, this is my phone',
        scan: 'Scan this QR code with your phone',
      });
      const firstOtp = await readOtp(page);
      const firstQr = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
      expect(firstQr).not.toBeNull();
      const token = await approved;
      if (!token.ok) throw new Error(token.message);

      const newCode = page.getByRole('button', { name: 'New code' });
      await newCode.waitFor({ state: 'visible', timeout: (OTP_LIFETIME_SECONDS + 10) * 1000 });
      await newCode.click();
      await expect.poll(() => readOtp(page), { timeout: 10_000 }).not.toBe(firstOtp);
      const secondOtp = await readOtp(page);
      const secondQr = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
      expect(secondQr).not.toBeNull();

      const stale = await redeemEnrollment(phone, {
        token: token.value,
        qrPayload: firstQr!,
        otp: Buffer.from(firstOtp),
      });
      expect(stale.ok).toBe(false);
      const fresh = await redeemEnrollment(phone, {
        token: token.value,
        qrPayload: secondQr!,
        otp: Buffer.from(secondOtp),
      });
      expect(fresh.ok).toBe(true);
      await waitForTitle(page, "You're all set");
    } finally {
      await kiosk.demo.virtualCard?.remove();
      await context.close();
    }
  });
});
