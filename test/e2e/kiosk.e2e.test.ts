// The kiosk end to end, as a person and their phone use it: Debian Chromium on the browser host, the virtual PIV
// card in a private pcscd, the real issuer over HTTPS, and the phone client (phone/) doing its part of the flow.
// Supervised issuance: the kiosk shows the phone key's fingerprint until an agent affirms it through the agent route.
// Screenshots of each screen in English and Dutch go to test-output/screenshots/.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startBrowserKiosk } from '../../demo/browser-kiosk.ts';
import type { BrowserKiosk } from '../../demo/browser-kiosk.ts';
import type { AgentSession } from '../../contracts/agent-api.ts';
import { agentIdentityKey, grantAgentRole } from '../../issuer/agent/agent-roles.ts';
import { changeTenantSettings } from '../../issuer/lifecycle/tenant-settings.ts';
import { redeemEnrollment, startDeviceAuthorization } from '../../phone/phone-client.ts';
import { startThreadedVirtualCard } from '../../virtual-card/threaded-virtual-card.ts';
import { newKioskNonce, pkiAuthMessageBytes } from '../integration/pki-auth/card-signature.ts';
import { IssuerHttpClient } from '../integration/issuer/issuer-client.ts';
import { b64u, cardSign, challenge } from '../integration/issuer/issuer-fixture.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import {
  answerPhoneCheck,
  chooseLanguage,
  decodeQrWithJsqr,
  decodeQrWithZbar,
  expectNoAxeViolations,
  HostPages,
  KIOSK_LANDSCAPE,
  KIOSK_PORTRAIT,
  phoneConnection,
  phoneWaitingForKiosk,
  reachQrScreen,
  readOtp,
  screenshot,
  typePin,
  typeUserCode,
  waitForTitle,
} from './support/kiosk-page.ts';
import type { Lang } from './support/kiosk-page.ts';

const T = {
  en: {
    welcome: 'Insert your smart card',
    pin: 'Enter your PIN',
    code: 'Enter the code shown on your phone',
    confirm: 'Is this your phone?',
    yes: 'Yes, this is my phone',
    notMine: 'Not my phone',
    scan: 'Scan this QR code with your phone',
    done: "You're all set",
    refused: "This card can't be used here",
    stillThere: 'Still there?',
    unreachable: "The enrollment service can't be reached",
    virtual: 'Use the demo virtual card',
    takeOut: 'Take your card out',
    outOfOrder: 'This kiosk is not working right now',
  },
  nl: {
    welcome: 'Plaats uw smartcard',
    pin: 'Voer uw pincode in',
    code: 'Voer de code in die op uw telefoon staat',
    confirm: 'Is dit uw telefoon?',
    yes: 'Ja, dit is mijn telefoon',
    notMine: 'Niet mijn telefoon',
    scan: 'Scan deze QR-code met uw telefoon',
    done: 'U bent klaar',
    refused: 'Deze kaart kan hier niet worden gebruikt',
    stillThere: 'Bent u er nog?',
    unreachable: 'De inschrijvingsservice is niet bereikbaar',
    virtual: '',
    takeOut: 'Haal uw kaart uit de lezer',
    outOfOrder: 'Deze kiosk werkt op dit moment niet',
  },
} as const;

/** Body texts the tests look for, per language. */
const B = {
  en: {
    notMine: 'That phone was turned away',
    wrongTwo: 'That PIN was not correct. You have 2 tries left.',
    blocked: 'The PIN of this card is blocked.',
    expiredCode: 'This code has expired.',
    retry: /Trying again in \d+ seconds?\./,
  },
  nl: {
    notMine: 'Die telefoon is geweigerd',
    wrongTwo: 'Die pincode was niet juist. U hebt nog 2 pogingen.',
    blocked: 'De pincode van deze kaart is geblokkeerd.',
    expiredCode: 'Deze code is verlopen.',
    retry: /Nieuwe poging over \d+ seconden?\./,
  },
} as const;
const LANGUAGES = ['en', 'nl'] as const;

/** On the welcome screen: pick the language for this session (the kiosk returns to English afterwards). */
async function startIn(page: Page, lang: Lang): Promise<void> {
  await waitForTitle(page, T.en.welcome);
  if (lang === 'nl') await chooseLanguage(page, 'nl', T.nl.welcome);
}

// Chromium is a test dependency (.ci/run installs it); the renderer is built here when missing (it is not committed).
const canRun = chromiumAvailable();
let browser: Browser;
const pages = new HostPages();
const tmp = mkdtempSync(join(tmpdir(), 'dck-e2e-'));

/** A fresh page (context) per test, landscape unless told: closed in afterAll. */
const newKioskPage = (kiosk: BrowserKiosk, viewport: { width: number; height: number } = KIOSK_LANDSCAPE) =>
  pages.open(browser, kiosk.host, viewport);

/** What the e2e phone reports about itself: shown on the kiosk before approval. */
const E2E_PHONE = {
  device_platform: 'Android 15',
  device_model: 'Pixel 9',
  app_name: 'Derived Credentials',
  app_version: '2.4.1',
};

/**
 * The phone's side up to the device code (it then polls, as a phone does), the kiosk's up to the phone check (number
 * matching; the phone named as it reported itself), confirmed: the QR screen. The code is typed as a person might, in
 * lower case without the dash. Returns what the phone needs.
 */
function toQrScreen(page: Page, kiosk: BrowserKiosk, lang: Lang, shots: boolean) {
  return reachQrScreen(page, kiosk.demo.issuer, T[lang], {
    phoneReport: E2E_PHONE,
    typed: (userCode) => userCode.toLowerCase().replace('-', ''),
    at: async (screen) => {
      if (screen === 'confirm') {
        const shown = await page.locator('.confirm-device').innerText();
        expect(shown).toContain('Pixel 9 (Android 15)');
        expect(shown).toContain('Derived Credentials 2.4.1');
      }
      if (!shots) return;
      if (screen === 'pin') await screenshot(page, `${lang}-02-pin`);
      if (screen === 'code') await screenshot(page, `${lang}-03-user-code`);
      if (screen === 'confirm') {
        await expectNoAxeViolations(page, `confirm-device (${lang})`);
        await screenshot(page, `${lang}-03c-confirm-device`);
      }
    },
  });
}

beforeAll(async () => {
  if (!canRun) return;
  await ensureRendererBuilt();
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!canRun)('kiosk in Chromium: the whole flow', () => {
  let kiosk: BrowserKiosk;
  const removalMs: Record<string, number> = {};

  beforeAll(async () => {
    kiosk = await startBrowserKiosk({
      virtualCard: 'always',
      cardholderName: 'Ada Lovelace',
      completionWaitSeconds: 5,
    });
  });
  afterEach(async () => {
    // A failed test must not leave the card in for the next one.
    if (kiosk.demo.virtualCard?.inserted === true) await kiosk.demo.virtualCard.remove();
  });
  afterAll(async () => {
    console.log(`card removed → welcome visible (ms): ${JSON.stringify(removalMs)}`);
    await kiosk?.stop();
  });

  it('virtual card → PIN → phone code → QR (decoded from a screenshot) + OTP → phone redeems → "You\'re all set"', async () => {
    const page = await newKioskPage(kiosk);
    await waitForTitle(page, T.en.welcome);
    await expectNoAxeViolations(page, 'welcome');
    await screenshot(page, 'en-01-welcome');
    await page.getByRole('button', { name: T.en.virtual }).click();
    await expectNoAxeViolations(page, 'pin').catch(async () => {
      await waitForTitle(page, T.en.pin);
      await expectNoAxeViolations(page, 'pin');
    });
    const { phone, token: approved } = await toQrScreen(page, kiosk, 'en', true);
    await expectNoAxeViolations(page, 'enrollment');

    const png = await screenshot(page, 'en-04-enrollment');
    const pngFile = join(tmp, 'qr.png');
    writeFileSync(pngFile, png);
    // The page also shows the help URL as a small QR: decode the enrollment QR from its own area first.
    const fromJsqr = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
    expect(fromJsqr).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/e\/[A-Za-z0-9_-]{16,64}$/);
    expect(await decodeQrWithZbar(pngFile)).toContain(fromJsqr);
    const otp = await readOtp(page);
    expect(otp).toMatch(/^[0-9]{6,12}$/);

    const token = await approved;
    if (!token.ok) throw new Error(token.message);
    const redeemed = await redeemEnrollment(phone, { token: token.value, qrPayload: fromJsqr!, otp: Buffer.from(otp) });
    expect(redeemed.ok).toBe(true);

    await waitForTitle(page, T.en.done);
    await expectNoAxeViolations(page, 'done');
    await screenshot(page, 'en-05-done');
    await kiosk.demo.virtualCard!.remove();
    await waitForTitle(page, T.en.welcome);
    expect(await page.content()).not.toContain(otp);
    await page.close();
  });

  it.each(LANGUAGES)('wrong PIN, then the right one (%s)', async (lang) => {
    const page = await newKioskPage(kiosk);
    await startIn(page, lang);
    await kiosk.demo.virtualCard!.insert();
    await waitForTitle(page, T[lang].pin);
    await typePin(page, '999999');
    await page.getByText(B[lang].wrongTwo).first().waitFor();
    await expectNoAxeViolations(page, `pin-wrong (${lang})`);
    await screenshot(page, `${lang}-02b-pin-wrong`);
    await typePin(page, '123456');
    await waitForTitle(page, T[lang].code);
    await kiosk.demo.virtualCard!.remove();
    await waitForTitle(page, T.en.welcome);
    await page.close();
  });

  it('card pulled at each step → welcome (time printed as a figure)', async () => {
    const page = await newKioskPage(kiosk);
    const pullAt = async (step: string): Promise<void> => {
      const started = performance.now();
      await kiosk.demo.virtualCard!.remove();
      await waitForTitle(page, T.en.welcome);
      removalMs[step] = Math.round(performance.now() - started);
      expect(await page.locator('body').innerText()).not.toContain('Ada Lovelace');
    };
    await kiosk.demo.virtualCard!.insert();
    await waitForTitle(page, T.en.pin);
    await pullAt('pin');
    await kiosk.demo.virtualCard!.insert();
    await waitForTitle(page, T.en.pin);
    await typePin(page, '123456');
    await waitForTitle(page, T.en.code);
    await pullAt('user-code');
    await kiosk.demo.virtualCard!.insert();
    await toQrScreen(page, kiosk, 'en', false);
    const otp = await readOtp(page);
    await pullAt('enrollment');
    expect(await page.content()).not.toContain(otp);
    await page.close();
  });

  it.each([
    ['en', KIOSK_LANDSCAPE, 'landscape'],
    ['nl', KIOSK_LANDSCAPE, 'landscape'],
    ['en', KIOSK_PORTRAIT, 'portrait'],
    ['nl', KIOSK_PORTRAIT, 'portrait'],
  ] as const)(
    '"not my phone" (%s, %s): the kiosk names the phone and its number; refused, the phone is turned away and the code screen says so',
    async (lang, viewport, orientation) => {
      const page = await newKioskPage(kiosk, viewport);
      await startIn(page, lang);
      await kiosk.demo.virtualCard!.insert();
      await waitForTitle(page, T[lang].pin);
      await typePin(page, '123456');
      await waitForTitle(page, T[lang].code);
      const phone = phoneConnection(kiosk.demo.issuer);
      // Someone else's phone: its code read out over the telephone, typed here by the card holder.
      const flow = await startDeviceAuthorization(phone, { ...E2E_PHONE, device_model: 'Galaxy A15' });
      if (!flow.ok) throw new Error(flow.message);
      const waiting = phoneWaitingForKiosk(phone, flow.value);
      await typeUserCode(page, flow.value.userCode);
      await waitForTitle(page, T[lang].confirm);
      expect(await page.locator('.confirm-device').innerText()).toContain('Galaxy A15 (Android 15)');
      await expectNoAxeViolations(page, `confirm-device (${lang}, ${orientation})`);
      await screenshot(page, `${lang}-${orientation}-03c-confirm-device`);
      // Both answers are on screen together, without scrolling, at this size.
      for (const label of [T[lang].yes, T[lang].notMine])
        expect(await page.getByRole('button', { name: label, exact: true }).isVisible()).toBe(true);
      await answerPhoneCheck(page, waiting, T[lang].notMine);
      await waitForTitle(page, T[lang].code);
      await page.getByText(B[lang].notMine, { exact: false }).first().waitFor();
      await expectNoAxeViolations(page, `user-code not-my-phone (${lang}, ${orientation})`);
      await screenshot(page, `${lang}-${orientation}-03d-not-my-phone`);
      expect(await waiting.token).toMatchObject({ ok: false, code: 'access-denied' });
      await kiosk.demo.virtualCard!.remove();
      await waitForTitle(page, T.en.welcome);
      await page.close();
    },
  );

  it('a card whose PIN is blocked is refused plainly (en, nl)', async () => {
    const page = await newKioskPage(kiosk);
    await kiosk.demo.virtualCard!.remove();
    const blocked = await startThreadedVirtualCard({
      profile: 'blocked',
      port: kiosk.demo.pcsc!.vpcdPort,
      pki: kiosk.demo.pki,
    });
    try {
      for (const lang of LANGUAGES) {
        await startIn(page, lang);
        await blocked.insert();
        await waitForTitle(page, T[lang].refused);
        await page.getByText(B[lang].blocked, { exact: false }).first().waitFor();
        await expectNoAxeViolations(page, `card-refused (${lang})`);
        await screenshot(page, `${lang}-06-card-refused`);
        await blocked.remove();
        await waitForTitle(page, T.en.welcome);
      }
    } finally {
      await blocked.stop();
      await page.close();
    }
  });

  it('three wrong PINs: tries shown, last try confirmed, then "PIN blocked" with the help desk', async () => {
    const page = await newKioskPage(kiosk);
    await kiosk.demo.virtualCard!.remove();
    const fresh = await startThreadedVirtualCard({
      profile: 'p256',
      port: kiosk.demo.pcsc!.vpcdPort,
      pki: kiosk.demo.pki,
      commonName: 'Ada Lovelace',
    });
    try {
      await fresh.insert();
      await waitForTitle(page, T.en.pin);
      await typePin(page, '000000');
      await page.getByText(B.en.wrongTwo).first().waitFor();
      await typePin(page, '000000');
      await page.getByText('Careful: this is your last try.', { exact: false }).first().waitFor();
      await typePin(page, '000000');
      await page.getByRole('button', { name: 'Yes, check this PIN' }).click();
      await waitForTitle(page, 'Your PIN is blocked');
      await expectNoAxeViolations(page, 'pin-blocked');
      await screenshot(page, 'en-09-pin-blocked');
      await fresh.remove();
      await waitForTitle(page, T.en.welcome);
    } finally {
      await fresh.stop();
      await page.close();
    }
  });

  it('Dutch run-through on a portrait kiosk (1080×1920), with screenshots of each screen', async () => {
    const page = await newKioskPage(kiosk, KIOSK_PORTRAIT);
    await waitForTitle(page, T.en.welcome);
    await chooseLanguage(page, 'nl', T.nl.welcome);
    await expectNoAxeViolations(page, 'welcome (nl)');
    await screenshot(page, 'nl-01-welcome');
    await kiosk.demo.virtualCard!.insert();
    const { phone, token: approved } = await toQrScreen(page, kiosk, 'nl', true);
    await expectNoAxeViolations(page, 'enrollment (nl)');
    await screenshot(page, 'nl-04-enrollment');
    const payload = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
    const token = await approved;
    if (!token.ok) throw new Error(token.message);
    expect(
      (
        await redeemEnrollment(phone, {
          token: token.value,
          qrPayload: payload!,
          otp: Buffer.from(await readOtp(page)),
        })
      ).ok,
    ).toBe(true);
    await waitForTitle(page, T.nl.done);
    await screenshot(page, 'nl-05-done');
    await kiosk.demo.virtualCard!.remove();
    // The next person starts in the kiosk's default language.
    await waitForTitle(page, T.en.welcome);
    await page.close();
  });
});

describe.skipIf(!canRun)('kiosk in Chromium: short timers (idle reset, expired phone code, issuer down)', () => {
  let kiosk: BrowserKiosk;

  beforeAll(async () => {
    kiosk = await startBrowserKiosk({
      virtualCard: 'always',
      cardholderName: 'Ada Lovelace',
      session: { idleSeconds: 3, warningSeconds: 3, retryDelaysSeconds: [30] },
      issuerConfig: { deviceFlow: { codeLifetimeSeconds: 2 } },
    });
  });
  afterEach(async () => {
    if (kiosk.demo.virtualCard?.inserted === true) await kiosk.demo.virtualCard.remove();
  });
  afterAll(async () => {
    await kiosk?.stop();
  });

  it.each(LANGUAGES)('idle → "Still there?" → back to welcome by itself (%s)', async (lang) => {
    const page = await newKioskPage(kiosk);
    await startIn(page, lang);
    await kiosk.demo.virtualCard!.insert();
    await waitForTitle(page, T[lang].pin);
    await waitForTitle(page, T[lang].stillThere, 10_000);
    await expectNoAxeViolations(page, `still-there (${lang})`);
    await screenshot(page, `${lang}-07-still-there`);
    // The card is still in: the kiosk says so (to its owner, in their language) instead of inviting the next person.
    await waitForTitle(page, T[lang].takeOut, 10_000);
    await screenshot(page, `${lang}-07b-take-card-out-after-idle`);
    expect(await page.locator('body').innerText()).not.toContain('Ada Lovelace');
    await kiosk.demo.virtualCard!.remove();
    await page.close();
  });

  it.each(LANGUAGES)('an expired phone code is explained (%s)', async (lang) => {
    const page = await newKioskPage(kiosk);
    await startIn(page, lang);
    await kiosk.demo.virtualCard!.insert();
    await waitForTitle(page, T[lang].pin);
    // The phone's code (2 s lifetime here) runs out while the PIN is typed: waiting for it on the code screen instead
    // raced the kiosk's 3 s idle timer, and on a loaded machine "Still there?" came first (a CI failure).
    const flow = await startDeviceAuthorization(phoneConnection(kiosk.demo.issuer));
    if (!flow.ok) throw new Error(flow.message);
    const codeMadeAt = Date.now();
    await typePin(page, '123456');
    await waitForTitle(page, T[lang].code);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, codeMadeAt + 2500 - Date.now())));
    await typeUserCode(page, flow.value.userCode);
    await page.getByText(B[lang].expiredCode, { exact: false }).first().waitFor();
    await expectNoAxeViolations(page, `user-code expired (${lang})`);
    await screenshot(page, `${lang}-03b-user-code-expired`);
    await kiosk.demo.virtualCard!.remove();
    await waitForTitle(page, T.en.welcome);
    await page.close();
  });

  it('issuer down → a clear message with a retry countdown; card out → out of order for the next person (en, nl)', async () => {
    const page = await newKioskPage(kiosk);
    await waitForTitle(page, T.en.welcome);
    await kiosk.demo.virtualCard!.insert();
    await waitForTitle(page, T.en.pin);
    // Gone after the card was read, before the PIN: the kiosk could not know in advance.
    await kiosk.demo.issuer.close();
    await typePin(page, '123456');
    await waitForTitle(page, T.en.unreachable);
    await page.getByText(B.en.retry).first().waitFor();
    await expectNoAxeViolations(page, 'issuer-unreachable (en)');
    await screenshot(page, 'en-08-issuer-unreachable');
    await chooseLanguage(page, 'nl', T.nl.unreachable);
    await page.getByText(B.nl.retry).first().waitFor();
    await screenshot(page, 'nl-08-issuer-unreachable');
    await kiosk.demo.virtualCard!.remove();
    // Not "Insert your smart card" (and a PIN try spent for nothing): the kiosk is out of order until the issuer answers.
    await waitForTitle(page, T.en.outOfOrder);
    await page.getByText('The enrollment service cannot be reached.', { exact: true }).waitFor();
    await expectNoAxeViolations(page, 'out-of-order (en)');
    await screenshot(page, 'en-10-out-of-order-issuer');
    await chooseLanguage(page, 'nl', T.nl.outOfOrder);
    await screenshot(page, 'nl-10-out-of-order-issuer');
    // A card inserted now is not read (no PIN asked for) while the issuer is away.
    await kiosk.demo.virtualCard!.insert();
    await page.waitForTimeout(1500);
    await waitForTitle(page, T.nl.outOfOrder);
    await page.close();
  });
});

describe.skipIf(!canRun)('kiosk in Chromium: supervised issuance (a help-desk agent affirms the phone key)', () => {
  let kiosk: BrowserKiosk;
  let http: IssuerHttpClient;
  let agentToken: string;
  const AGENT_CHECK = {
    en: { title: 'A help-desk agent will now confirm your phone.' },
    nl: { title: 'Een medewerker van de helpdesk bevestigt nu uw telefoon.' },
  } as const;

  beforeAll(async () => {
    kiosk = await startBrowserKiosk({
      virtualCard: 'always',
      cardholderName: 'Ada Lovelace',
      completionWaitSeconds: 5,
    });
    const issuer = kiosk.demo.issuer;
    const admin = { kind: 'admin', id: 'e2e' } as const;
    await changeTenantSettings(issuer.storage, issuer.config, { supervision: 'agent-affirms' }, admin, new Date());
    // The agent: their own card from the same PKI, the helpdesk role, signed in through the agent route (PKI-AUTH).
    const agentCard = await kiosk.demo.pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Hal Helpdesk',
      fascn: `d9${'0'.repeat(48)}`,
    });
    await grantAgentRole(issuer.storage, agentIdentityKey('uuid', agentCard.uuid), 'helpdesk', admin, new Date());
    http = new IssuerHttpClient(issuer.url, issuer.tlsCertificatePem);
    const issued = await challenge(http);
    const kioskNonce = newKioskNonce();
    const signed = pkiAuthMessageBytes(new Uint8Array(Buffer.from(issued.challenge, 'base64url')), kioskNonce);
    const session = await http.route<'agentSignIn', AgentSession>('agentSignIn', {
      body: {
        challengeId: issued.challengeId,
        kioskNonce: b64u(kioskNonce),
        certificate: b64u(agentCard.der),
        signature: b64u(cardSign(agentCard, signed)),
      },
    });
    if (session.status !== 200) throw new Error(`agent sign-in: ${session.text}`);
    agentToken = session.body.sessionToken;
    // Routes re-read the tenant settings at most every 5 s.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
  }, 60_000);
  afterEach(async () => {
    if (kiosk.demo.virtualCard?.inserted === true) await kiosk.demo.virtualCard.remove();
  });
  afterAll(async () => {
    http?.close();
    await kiosk?.stop();
  });

  it.each(LANGUAGES)(
    'the kiosk shows the fingerprint the phone shows while an agent checks it; affirmed → "all set" (%s)',
    async (lang) => {
      const page = await newKioskPage(kiosk);
      await startIn(page, lang);
      await kiosk.demo.virtualCard!.insert();
      const { phone, token: approved } = await toQrScreen(page, kiosk, lang, false);
      const payload = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
      const enrollmentId = /\/e\/([A-Za-z0-9_-]+)$/.exec(payload ?? '')?.[1];
      if (payload === null || enrollmentId === undefined) throw new Error('no enrollment QR');
      const token = await approved;
      if (!token.ok) throw new Error(token.message);
      let phoneSays = '';
      const redeemed = redeemEnrollment(phone, {
        token: token.value,
        qrPayload: payload,
        otp: Buffer.from(await readOtp(page)),
        onAffirmationPending: (message) => {
          phoneSays = message;
        },
      });

      await page.locator('.enrollment__agent-check-title', { hasText: AGENT_CHECK[lang].title }).waitFor();
      const shown = (await page.locator('.key-fingerprint [aria-hidden="true"]').innerText()).trim();
      expect(shown).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
      expect(phoneSays).toContain(shown);
      await expectNoAxeViolations(page, `enrollment, agent check (${lang})`);
      await screenshot(page, `${lang}-04b-enrollment-agent-check`);

      // The agent types what the person reads out from the phone.
      const affirmed = await http.route('agentAffirmEnrollment', {
        params: { enrollmentId },
        body: { fingerprint: shown, note: 'read out by the person at the kiosk' },
        bearer: agentToken,
      });
      expect(affirmed.status).toBe(204);
      expect((await redeemed).ok).toBe(true);
      await waitForTitle(page, T[lang].done);
      await kiosk.demo.virtualCard!.remove();
      await waitForTitle(page, T.en.welcome);
      await page.close();
    },
  );
});
