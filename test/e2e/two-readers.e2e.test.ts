// A kiosk and the agent console at one help desk, end to end: one private pcscd with two readers, the person's
// virtual card in the first (read by the kiosk), the agent's in the second (read by the console), each host bound to
// its own reader (demo/demo-help-desk.ts; `--reader NAME`), the real issuer with `supervision: agent-affirms`, both
// screens in Chromium through their browser hosts, and the phone client doing its part. The agent signs in, the
// person enrolls at the kiosk, the agent affirms the fingerprint the kiosk and the phone show, the phone gets its
// certificate, the agent revokes it and OpenSSL refuses it; the agent's card pulled locks the console while the kiosk
// carries on. Then the agent's own card at the kiosk: the console's affirmation is refused and the phone gets
// nothing. Screenshots of both screens at each step go to test-output/screenshots/two-readers-*.png (English for the
// first test, Dutch for the second), and axe checks each one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import type { IssuerConnection } from '../../contracts/issuer-caller.ts';
import { startDemoHelpDesk } from '../../demo/demo-help-desk.ts';
import type { DemoHelpDesk } from '../../demo/demo-help-desk.ts';
import { changeTenantSettings } from '../../issuer/lifecycle/tenant-settings.ts';
import { redeemEnrollment } from '../../phone/phone-client.ts';
import type { DeviceToken } from '../../phone/phone-client.ts';
import { startThreadedVirtualCard } from '../../virtual-card/threaded-virtual-card.ts';
import type { ThreadedVirtualCard } from '../../virtual-card/threaded-virtual-card.ts';
import { opensslVerify, relyingPartyFiles } from '../integration/issuer/lifecycle/lifecycle-fixture.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import { demoIssuerHarness } from './support/demo-harness.ts';
import { DESKTOP_VIEWPORT, signIn } from './support/console-page.ts';
import {
  chooseLanguage,
  decodeQrWithJsqr,
  expectNoAxeViolations,
  HostPages,
  reachQrScreen,
  readOtp,
  screenshot,
  typePin,
  waitForTitle,
} from './support/kiosk-page.ts';
import type { Lang } from './support/kiosk-page.ts';

/** What the two screens say, per language (renderer/i18n/locales). */
const T = {
  en: {
    kioskWelcome: 'Insert your smart card',
    kioskPin: 'Enter your PIN',
    kioskCode: 'Enter the code shown on your phone',
    kioskConfirm: 'Is this your phone?',
    kioskYes: 'Yes, this is my phone',
    kioskScan: 'Scan this QR code with your phone',
    kioskAgentCheck: 'A help-desk agent will now confirm your phone.',
    kioskDone: "You're all set",
    consoleLocked: 'Insert your agent card',
    consolePin: 'Enter your PIN',
    consolePeople: 'Look up a person',
    consoleQueueTab: 'Live queue',
    consoleQueue: 'Enrollments in progress',
    consoleSearch: 'Search',
    waitingForPhone: 'Waiting for the phone',
    waitingForAgent: 'Waiting for an agent',
    checkKey: 'Check the phone’s key',
    affirm: 'It matches: affirm',
    affirmed: 'Affirmed. The phone receives its certificate on its next try.',
    ownCard: 'You cannot affirm an enrollment of your own card. Ask another agent.',
    revoke: 'Revoke',
    next: 'Continue',
    confirm: 'Yes, do it',
    revoked: 'The credential was revoked.',
    cardRemoved: 'Your card was taken out, so the console locked and you were signed out.',
  },
  nl: {
    kioskWelcome: 'Plaats uw smartcard',
    kioskPin: 'Voer uw pincode in',
    kioskCode: 'Voer de code in die op uw telefoon staat',
    kioskConfirm: 'Is dit uw telefoon?',
    kioskYes: 'Ja, dit is mijn telefoon',
    kioskScan: 'Scan deze QR-code met uw telefoon',
    kioskAgentCheck: 'Een medewerker van de helpdesk bevestigt nu uw telefoon.',
    kioskDone: 'U bent klaar',
    consoleLocked: 'Plaats uw medewerkerspas',
    consolePin: 'Voer uw pincode in',
    consolePeople: 'Persoon opzoeken',
    consoleQueueTab: 'Live wachtrij',
    consoleQueue: 'Lopende registraties',
    consoleSearch: 'Zoeken',
    waitingForPhone: 'Wacht op de telefoon',
    waitingForAgent: 'Wacht op een medewerker',
    checkKey: 'Sleutel van de telefoon controleren',
    affirm: 'Komt overeen: bevestigen',
    affirmed: 'Bevestigd. De telefoon krijgt het certificaat bij de volgende poging.',
    ownCard: 'U kunt geen registratie van uw eigen pas bevestigen. Vraag een andere medewerker.',
    revoke: 'Intrekken',
    next: 'Verder',
    confirm: 'Ja, uitvoeren',
    revoked: 'De inloggegevens zijn ingetrokken.',
    cardRemoved: 'Uw pas is eruit gehaald, dus de console is vergrendeld en u bent afgemeld.',
  },
} as const;

const PERSON_NAME = 'Pat Person';
const AGENT_NAME = 'Dana Desk';
/** What the phone reports about itself (shown on the kiosk before approval). */
const PHONE = {
  device_platform: 'Android 15',
  device_model: 'Pixel 9',
  app_name: 'Derived Credentials',
  app_version: '2.4.1',
};

const runs = chromiumAvailable();
let desk: DemoHelpDesk;
let browser: Browser;
let workDir: string;
const pages = new HostPages();

/** Both screens side by side, as the help desk sees them: one screenshot each, each checked by axe. */
async function shootBoth(screens: Screens, lang: Lang, step: string): Promise<void> {
  for (const [name, page] of [
    ['kiosk', screens.kiosk],
    ['console', screens.console],
  ] as const) {
    await screenshot(page, `two-readers-${lang}-${step}-${name}`);
    await expectNoAxeViolations(page, `two readers, ${step}, ${name} (${lang})`);
  }
}

interface Screens {
  readonly kiosk: Page;
  readonly console: Page;
}

async function openScreens(lang: Lang): Promise<Screens> {
  const kiosk = await pages.open(browser, desk.kiosk.host, DESKTOP_VIEWPORT);
  const agentConsole = await pages.open(browser, desk.console.host, DESKTOP_VIEWPORT);
  if (lang === 'nl') for (const page of [kiosk, agentConsole]) await chooseLanguage(page, 'nl');
  return { kiosk, console: agentConsole };
}

/** The agent signs in at the console: their card in reader 2 (already in), the PIN; then the live queue. */
async function agentSignsIn(screens: Screens, lang: Lang, step: string): Promise<void> {
  await signIn(screens.console, { pin: T[lang].consolePin, people: T[lang].consolePeople }, async () => {
    await expect.poll(() => screens.console.getByText(AGENT_NAME).first().isVisible()).toBe(true);
    await shootBoth(screens, lang, step);
  });
  await screens.console.getByRole('button', { name: T[lang].consoleQueueTab }).click();
  await waitForTitle(screens.console, T[lang].consoleQueue);
}

/**
 * The person at the kiosk (their card already going in): PIN, the phone's code, "is this your phone?", the QR.
 * Returns the phone's connection and token, and the QR and one-time password the kiosk shows.
 */
async function personReachesQr(
  screens: Screens,
  lang: Lang,
  holder: string,
): Promise<{ phone: IssuerConnection; token: DeviceToken; qrPayload: string; otp: string }> {
  const kiosk = screens.kiosk;
  const t = T[lang];
  const texts = { pin: t.kioskPin, code: t.kioskCode, confirm: t.kioskConfirm, yes: t.kioskYes, scan: t.kioskScan };
  const { phone, token: approved } = await reachQrScreen(kiosk, desk.demo.issuer, texts, {
    phoneReport: PHONE,
    at: (screen) => (screen === 'confirm' ? shootBoth(screens, lang, '04-confirm-phone') : Promise.resolve()),
  });
  const qrPayload = decodeQrWithJsqr(await kiosk.locator('.enrollment__qr-frame').screenshot());
  if (qrPayload === null) throw new Error('no QR code on the kiosk');
  const token = await approved;
  if (!token.ok) throw new Error(token.message);
  // The enrollment is in the console's live queue, waiting for the phone, under the card holder's name.
  await screens.console
    .getByRole('row')
    .filter({ hasText: holder })
    .filter({ hasText: T[lang].waitingForPhone })
    .waitFor({ timeout: 15_000 });
  await shootBoth(screens, lang, '05-qr-and-queue');
  return { phone, token: token.value, qrPayload, otp: await readOtp(kiosk) };
}

/** The fingerprint the kiosk shows while an agent checks the phone's key (XXXX-XXXX-XXXX-XXXX). */
async function kioskFingerprint(screens: Screens, lang: Lang): Promise<string> {
  await screens.kiosk.locator('.enrollment__agent-check-title', { hasText: T[lang].kioskAgentCheck }).waitFor();
  const shown = (await screens.kiosk.locator('.key-fingerprint [aria-hidden="true"]').innerText()).trim();
  expect(shown).toMatch(/^[0-9A-F]{4}(-[0-9A-F]{4}){3}$/);
  return shown;
}

/** The agent opens the queue row waiting for them and compares the console's fingerprint with the kiosk's. */
async function agentOpensCheck(screens: Screens, lang: Lang, holder: string, fingerprint: string): Promise<void> {
  const row = screens.console.getByRole('row').filter({ hasText: holder }).filter({ hasText: T[lang].waitingForAgent });
  await row.waitFor({ timeout: 15_000 });
  await row.getByRole('button', { name: T[lang].checkKey }).click();
  await waitForTitle(screens.console, T[lang].checkKey);
  expect(await screens.console.locator('.console__fingerprint-group').allInnerTexts()).toEqual(fingerprint.split('-'));
  await screens.console.getByRole('textbox').fill('read out by the person at the kiosk');
}

beforeAll(async () => {
  if (!runs) return;
  await ensureRendererBuilt();
  workDir = mkdtempSync(join(tmpdir(), 'dck-two-readers-'));
  desk = await startDemoHelpDesk({
    cardholderName: PERSON_NAME,
    // Kiosk, console, phone and the test all call from one loopback address.
    issuerConfig: {
      rateLimits: { unauthenticatedPerAddressPerMinute: 100_000, unauthenticatedServicePerMinute: 100_000 },
    },
    kiosk: { completionWaitSeconds: 5 },
  });
  await changeTenantSettings(
    desk.demo.issuer.storage,
    desk.demo.issuer.config,
    { supervision: 'agent-affirms' },
    { kind: 'admin', id: 'e2e' },
    new Date(),
  );
  browser = await launchChromium();
  // The issuer re-reads tenant settings at most every 5 s.
  await new Promise((resolve) => setTimeout(resolve, 5_100));
}, 180_000);

afterEach(async () => {
  // A failed test must not leave a card in for the next one.
  if (desk?.personCard.inserted === true) await desk.personCard.remove();
  if (desk?.agentCard.inserted === false) await desk.agentCard.insert();
});

afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  await desk?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

// Each test takes 1.5–3 minutes on a loaded two-core machine (eighteen axe runs in the first): hence the timeouts.
describe.skipIf(!runs)('two cards, two readers: the kiosk on reader 1, the agent console on reader 2', () => {
  it('sign in, enroll, affirm, the phone gets its certificate, revoke (OpenSSL refuses it), the agent card pulled', async () => {
    const lang = 'en';
    const screens = await openScreens(lang);
    expect([desk.kioskReader, desk.consoleReader]).toEqual(['Virtual PCD 00 00', 'Virtual PCD 00 01']);
    // The agent's card is out while the person's goes into the kiosk's reader: the console, bound to reader 2, does
    // not take it (unbound, it asked for Pat Person's PIN: it takes the first card in).
    await desk.agentCard.remove();
    await waitForTitle(screens.console, T[lang].consoleLocked);
    await waitForTitle(screens.kiosk, T[lang].kioskWelcome);
    await shootBoth(screens, lang, '01-welcome-and-locked');
    await desk.personCard.insert();
    await waitForTitle(screens.kiosk, T[lang].kioskPin);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await waitForTitle(screens.console, T[lang].consoleLocked);
    expect(await screens.console.getByText(PERSON_NAME).count()).toBe(0);
    await shootBoth(screens, lang, '02-person-card-in');
    // Now the agent's card goes into reader 2: the console asks for its PIN; the kiosk's session goes on.
    await desk.agentCard.insert();
    await agentSignsIn(screens, lang, '03-agent-pin');
    await waitForTitle(screens.kiosk, T[lang].kioskPin);

    const enrollment = await personReachesQr(screens, lang, PERSON_NAME);
    let phoneSays = '';
    const redeemed = redeemEnrollment(enrollment.phone, {
      token: enrollment.token,
      qrPayload: enrollment.qrPayload,
      otp: Buffer.from(enrollment.otp),
      onAffirmationPending: (message) => {
        phoneSays = message;
      },
    });
    const fingerprint = await kioskFingerprint(screens, lang);
    await agentOpensCheck(screens, lang, PERSON_NAME, fingerprint);
    // The phone, the kiosk and the console show the same fingerprint.
    expect(phoneSays).toContain(fingerprint);
    await shootBoth(screens, lang, '06-agent-checks-fingerprint');
    await screens.console.getByRole('button', { name: T[lang].affirm }).click();
    await expect.poll(() => screens.console.getByText(T[lang].affirmed).isVisible()).toBe(true);
    const result = await redeemed;
    enrollment.phone.close();
    if (!result.ok) throw new Error(`the phone got no certificate: ${result.message}`);
    await waitForTitle(screens.kiosk, T[lang].kioskDone);
    await shootBoth(screens, lang, '07-phone-has-certificate');
    await desk.personCard.remove();
    await waitForTitle(screens.kiosk, T[lang].kioskWelcome);

    // The agent revokes the new credential; a relying party's OpenSSL then refuses it against the issuer's CRL.
    const serial = result.value.summary.serialNumberHex;
    const certificateFile = join(workDir, 'phone-credential.pem');
    writeFileSync(certificateFile, result.value.certificatePem);
    // The help desk's issuer as the fixtures take it, for the relying party's CA and CRL files.
    const harness = demoIssuerHarness(desk.demo, workDir, () =>
      Promise.reject(new Error('the help desk has its own cards')),
    );
    const before = await relyingPartyFiles(harness);
    expect((await opensslVerify(before.caFile, before.crlFile, certificateFile)).ok).toBe(true);
    const agentConsole = screens.console;
    await agentConsole.getByRole('button', { name: T[lang].consolePeople }).click();
    await waitForTitle(agentConsole, T[lang].consolePeople);
    await agentConsole.getByRole('searchbox').fill('pat pers');
    await agentConsole.getByRole('button', { name: T[lang].consoleSearch, exact: true }).click();
    await agentConsole.getByRole('button', { name: new RegExp(PERSON_NAME) }).click();
    await waitForTitle(agentConsole, PERSON_NAME);
    const row = agentConsole.getByRole('row').filter({ hasText: new RegExp(serial, 'i') });
    await row.getByRole('button', { name: T[lang].revoke, exact: true }).click();
    const dialog = agentConsole.getByRole('dialog');
    await dialog.getByRole('textbox').fill('phone lost on the way home');
    await dialog.getByRole('button', { name: T[lang].next }).click();
    await dialog.getByRole('button', { name: T[lang].confirm }).click();
    await expect.poll(() => agentConsole.getByText(T[lang].revoked).isVisible()).toBe(true);
    await shootBoth(screens, lang, '08-revoked');
    const after = await relyingPartyFiles(harness);
    const verdict = await opensslVerify(after.caFile, after.crlFile, certificateFile);
    await harness.close();
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/certificate revoked/);

    // The next person at the kiosk; the agent's card pulled from reader 2 locks the console, not the kiosk.
    await desk.personCard.insert();
    await waitForTitle(screens.kiosk, T[lang].kioskPin);
    await desk.agentCard.remove();
    await waitForTitle(agentConsole, T[lang].consoleLocked);
    await expect.poll(() => agentConsole.getByText(T[lang].cardRemoved).isVisible()).toBe(true);
    expect(await agentConsole.getByText(PERSON_NAME).count()).toBe(0);
    await typePin(screens.kiosk, '123456');
    await waitForTitle(screens.kiosk, T[lang].kioskCode);
    await shootBoth(screens, lang, '09-agent-card-pulled');
    await desk.personCard.remove();
    await waitForTitle(screens.kiosk, T[lang].kioskWelcome);
    await desk.agentCard.insert();
    await waitForTitle(agentConsole, T[lang].consolePin);
  }, 360_000);

  it('the agent’s own card at the kiosk: the console’s affirmation is refused in a sentence, the phone gets nothing', async () => {
    const lang = 'nl';
    const screens = await openScreens(lang);
    await agentSignsIn(screens, lang, '01-agent-pin');
    // Another card of the agent's (the same UUID and FASC-N: the same person to the issuer), at the kiosk.
    if (desk.personCard.inserted) await desk.personCard.remove();
    const ownCard: ThreadedVirtualCard = await startThreadedVirtualCard({
      profile: 'p256',
      port: desk.demo.pcsc?.vpcdPort ?? 0,
      pki: desk.demo.pki,
      commonName: AGENT_NAME,
      uuid: desk.agentCard.identity.uuid,
      fascnHex: desk.agentCard.identity.fascnHex,
    });
    try {
      await ownCard.insert();
      const enrollment = await personReachesQr(screens, lang, AGENT_NAME);
      let phoneAsked = 0;
      let phoneStopped = false;
      const redeemed = redeemEnrollment(enrollment.phone, {
        token: enrollment.token,
        qrPayload: enrollment.qrPayload,
        otp: Buffer.from(enrollment.otp),
        // The phone asks again at the issuer's pace (Retry-After); once the test has seen enough, it stops asking.
        sleep: (ms) => {
          phoneAsked += 1;
          if (phoneStopped) return Promise.reject(new Error('the test stopped the phone'));
          return new Promise((resolve) => setTimeout(resolve, ms));
        },
      });
      const fingerprint = await kioskFingerprint(screens, lang);
      await agentOpensCheck(screens, lang, AGENT_NAME, fingerprint);
      await screens.console.getByRole('button', { name: T[lang].affirm }).click();
      await expect.poll(() => screens.console.getByText(T[lang].ownCard).isVisible()).toBe(true);
      await shootBoth(screens, lang, '06-own-card-refused');
      // Nothing was issued: the phone keeps being told to wait, and the kiosk still waits for an agent.
      const askedAtRefusal = phoneAsked;
      await expect.poll(() => phoneAsked, { timeout: 15_000 }).toBeGreaterThanOrEqual(askedAtRefusal + 2);
      phoneStopped = true;
      const outcome = await redeemed.then(
        (result) => (result.ok ? 'a certificate' : `${result.code}: ${result.message}`),
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      expect(outcome).toBe('the test stopped the phone');
      enrollment.phone.close();
      await screens.kiosk.locator('.enrollment__agent-check-title', { hasText: T[lang].kioskAgentCheck }).waitFor();
      expect(await screens.kiosk.getByRole('heading', { level: 1, name: T[lang].kioskDone }).count()).toBe(0);
      await ownCard.remove();
      await waitForTitle(screens.kiosk, T.en.kioskWelcome);
    } finally {
      await ownCard.stop();
    }
  }, 360_000);
});
