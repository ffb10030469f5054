// "New code" end to end: when the QR code and one-time password run out, the person asks for a fresh pair at the
// kiosk; the old pair no longer works and the phone finishes with the new one. Real issuer, virtual card, Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startBrowserKiosk } from '../../demo/browser-kiosk.ts';
import type { BrowserKiosk } from '../../demo/browser-kiosk.ts';
import { connectToIssuer } from '../../contracts/issuer-caller.ts';
import { redeemEnrollment, startDeviceAuthorization } from '../../phone/phone-client.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import {
  answerPhoneCheck,
  decodeQrWithJsqr,
  phoneWaitingForKiosk,
  readOtp,
  typePin,
  typeUserCode,
  waitForTitle,
} from './support/kiosk-page.ts';

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
    const connected = connectToIssuer(kiosk.demo.issuer.url, kiosk.demo.issuer.tlsCertificatePem);
    if (!connected.ok) throw new Error(connected.message);
    const phone = connected.connection;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(kiosk.host.newLaunchUrl());
      await waitForTitle(page, 'Insert your smart card');
      await page.getByRole('button', { name: 'Use the demo virtual card' }).click();
      await waitForTitle(page, 'Enter your PIN');
      await typePin(page, '123456');
      await waitForTitle(page, 'Enter the code shown on your phone');
      const flow = await startDeviceAuthorization(phone);
      if (!flow.ok) throw new Error(flow.message);
      const waiting = phoneWaitingForKiosk(phone, flow.value);
      await typeUserCode(page, flow.value.userCode);
      await waitForTitle(page, 'Is this your phone?');
      await answerPhoneCheck(page, waiting, 'Yes, this is my phone');
      await waitForTitle(page, 'Scan this QR code with your phone');
      const firstOtp = await readOtp(page);
      const firstQr = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
      expect(firstQr).not.toBeNull();
      const token = await waiting.token;
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
