// The console's Kiosks and re-issue screens end to end: Debian Chromium on the browser host (`dck agent --browser
// --demo`: demo/demo-console.ts), the agent's virtual PIV card in a private pcscd, the real issuer over HTTPS.
// Kiosks: real kiosk keys registered as an administrator does, signed heartbeats sent by the kiosk's own heartbeat
// loop (main/heartbeat/) through its issuer client; one kiosk stops and is shown as stale with its sentence.
// Re-issue: a person enrolled through the issuer's own kiosk routes, looked up, "New code" with a note and a
// confirmation; the new QR + password shown large; the old password refused by the issuer, the new one redeemed by
// the phone client; the code gone from the page when the agent leaves the screen or pulls the card. Screenshots in
// English and Dutch at 1280×900 and at 200% text (the same screen at 640×450 CSS pixels), axe on each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import type { KioskHeartbeatReport } from '../../contracts/kiosk-heartbeat.ts';
import { startDemoConsole } from '../../demo/demo-console.ts';
import type { DemoConsole } from '../../demo/demo-console.ts';
import { registerKiosk } from '../../issuer/kiosks/kiosk-registry.ts';
import { signedHeartbeat, startHeartbeat } from '../../main/heartbeat/kiosk-heartbeat.ts';
import { loadOrCreateKioskIdentity } from '../../main/identity/kiosk-identity.ts';
import type { KioskIdentity } from '../../main/identity/kiosk-identity.ts';
import { HttpsIssuerClient } from '../../main/issuer-client/https-issuer-client.ts';
import { pollTokenOnce, redeemEnrollment, startDeviceAuthorization } from '../../phone/phone-client.ts';
import type { IssuedCardCertificate } from '../../virtual-card/test-pki.ts';
import { IssuerHttpClient } from '../integration/issuer/issuer-client.ts';
import { approve, kioskSignIn } from '../integration/issuer/issuer-fixture.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import {
  agentCard,
  DESKTOP_ZOOM_200,
  lookUpPerson,
  openDesktopApp,
  screenShooters,
  signedIn,
} from './support/console-page.ts';
import { decodeQrWithJsqr, phoneConnection, readOtp, waitForTitle } from './support/kiosk-page.ts';
import type { Lang } from './support/kiosk-page.ts';

const T = {
  en: {
    pin: 'Enter your PIN',
    people: 'Look up a person',
    kiosksTab: 'Kiosks',
    kiosks: 'Kiosks',
    noProblems: 'No problems',
    stale: 'Not heard from for 10 minutes: it may be switched off or offline.',
    noReader: 'No card reader is connected.',
    neverSeen: 'Never heard from: check that it is switched on and connected.',
    search: 'Search',
    newCode: 'New code',
    reissue: 'Re-issue the code',
    continue: 'Continue',
    confirm: 'Yes, re-issue',
    shown: `New code for Rae Reissue`,
    oldDead: 'The previous password no longer works.',
    done: 'Done: hide the code',
    finished: 'This enrollment is already finished: the phone has its credential. Nothing to re-issue.',
    locked: 'Insert your agent card',
  },
  nl: {
    pin: 'Voer uw pincode in',
    people: 'Persoon opzoeken',
    kiosksTab: 'Kiosken',
    kiosks: 'Kiosken',
    noProblems: 'Geen problemen',
    stale: 'Al 10 minuten niets van gehoord: staat mogelijk uit of is offline.',
    noReader: 'Er is geen paslezer aangesloten.',
    neverSeen: 'Nooit iets van gehoord: controleer of de kiosk aanstaat en verbonden is.',
    search: 'Zoeken',
    newCode: 'Nieuwe code',
    reissue: 'Code opnieuw uitgeven',
    continue: 'Verder',
    confirm: 'Ja, opnieuw uitgeven',
    shown: 'Nieuwe code voor Rae Reissue',
    oldDead: 'Het vorige wachtwoord werkt niet meer.',
    done: 'Klaar: code verbergen',
    finished:
      'Deze registratie is al afgerond: de telefoon heeft zijn inloggegevens. Er is niets opnieuw uit te geven.',
    locked: 'Plaats uw medewerkerspas',
  },
} as const;

const PERSON_NAME = 'Rae Reissue';
const HEALTHY: KioskHeartbeatReport = {
  reader: 'no-card',
  cardService: 'running',
  lastErrors: [],
  appVersion: '1.0.0',
};

const runs = chromiumAvailable();
let agentConsole: DemoConsole;
let browser: Browser;
let http: IssuerHttpClient;
let kioskClient: HttpsIssuerClient;
let workDir: string;
let person: IssuedCardCertificate;
const stops: Array<() => void> = [];

const { shoot, shootAt200 } = screenShooters('agent', 'agent');
const openConsole = (lang: Lang): Promise<Page> => openDesktopApp(browser, agentConsole.console.host, lang);
/** The person the re-issue tests look up. */
const searchPerson = (lang: Lang) => ({ query: 'rae reiss', searchButton: T[lang].search, name: PERSON_NAME });

function kioskIdentity(name: string): KioskIdentity {
  return loadOrCreateKioskIdentity(join(workDir, name, 'kiosk.key.pem'), name);
}

async function registered(name: string): Promise<KioskIdentity> {
  const identity = kioskIdentity(name);
  await registerKiosk(agentConsole.demo.issuer.storage, name, identity.publicKeyPem, 'admin:e2e', new Date());
  return identity;
}

/** The kiosk's own heartbeat loop, sending through the kiosk's issuer client. */
function beating(identity: KioskIdentity, report: KioskHeartbeatReport): () => void {
  const stop = startHeartbeat({
    identity,
    intervalMs: 1_000,
    report: () => report,
    send: async (heartbeat) => {
      const answer = await kioskClient.heartbeat(heartbeat);
      return answer.ok ? null : answer.error.code;
    },
  });
  stops.push(stop);
  return stop;
}

beforeAll(async () => {
  if (!runs) return;
  await ensureRendererBuilt();
  workDir = mkdtempSync(join(tmpdir(), 'dck-agent-kiosks-e2e-'));
  agentConsole = await startDemoConsole({
    kioskPollMs: 1_000,
    issuerConfig: {
      rateLimits: { unauthenticatedPerAddressPerMinute: 100_000, unauthenticatedServicePerMinute: 100_000 },
    },
  });
  const issuer = agentConsole.demo.issuer;
  http = new IssuerHttpClient(issuer.url, issuer.tlsCertificatePem, 64);
  kioskClient = new HttpsIssuerClient({ baseUrl: issuer.url, trustedCaPem: issuer.tlsCertificatePem });
  person = await agentConsole.demo.pki.issueCardCertificate({
    keyAlgorithm: 'P-256',
    commonName: PERSON_NAME,
    fascn: `d9${'0'.repeat(48)}`,
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const stop of stops) stop();
  await browser?.close();
  http?.close();
  kioskClient?.close();
  await agentConsole?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!runs)('console Kiosks and re-issue screens in Chromium (browser host, real issuer)', () => {
  it('a kiosk sending heartbeats appears; one that stopped is stale with its sentence, listed first; in en and nl, at 200%', async () => {
    const storage = agentConsole.demo.issuer.storage;
    beating(await registered('atrium'), HEALTHY);
    // Lobby beats (its reader unplugged), then stops. It is set ten minutes back the way the heartbeat rule records
    // one (a newer sentAt, the issuer's receive time): the test cannot wait the three minutes that make it stale.
    const lobby = await registered('lobby');
    const lobbyBeat = await kioskClient.heartbeat(
      signedHeartbeat(lobby, { ...HEALTHY, reader: 'no-reader' }, new Date()),
    );
    expect(lobbyBeat.ok).toBe(true);
    const tenMinutesAgo = Date.now() - 10 * 60_000 - 5_000;
    const reportJson = JSON.stringify({ ...HEALTHY, reader: 'no-reader' });
    expect(await storage.recordKioskHeartbeat('lobby', Date.now() + 1, tenMinutesAgo, reportJson)).toBe(true);

    const pages = { en: await openConsole('en'), nl: await openConsole('nl') };
    await signedIn(pages.en, T.en);
    await signedIn(pages.nl, T.nl);
    for (const lang of ['en', 'nl'] as const) {
      const page = pages[lang];
      await page.getByRole('button', { name: T[lang].kiosksTab }).click();
      await waitForTitle(page, T[lang].kiosks);
      const atrium = page.getByRole('row').filter({ hasText: 'atrium' });
      await atrium.filter({ hasText: T[lang].noProblems }).waitFor({ timeout: 15_000 });
      const stale = page.getByRole('row').filter({ hasText: 'lobby' });
      await stale.filter({ hasText: T[lang].stale }).waitFor();
      await stale.filter({ hasText: T[lang].noReader }).waitFor();
      // Problems first: lobby's row comes before atrium's.
      const names = await page.locator('tbody th[scope="row"]').allInnerTexts();
      expect(names.indexOf('lobby')).toBeLessThan(names.indexOf('atrium'));
      await shoot(page, lang, 'kiosks');
      await shootAt200(page, lang, 'kiosks');
    }

    // A kiosk registered while the screen is open appears by itself (main reads the list on its timer).
    await registered('hall');
    await pages.en.getByRole('row').filter({ hasText: 'hall' }).filter({ hasText: T.en.neverSeen }).waitFor();
    for (const page of [pages.en, pages.nl]) await page.close();
  }, 120_000);

  it('re-issue: a new code shown large, the old password refused by the issuer, the new one redeemed; hidden on leaving', async () => {
    // A person at a kiosk, driven through the issuer's own routes as a kiosk and a phone would.
    const connection = phoneConnection(agentConsole.demo.issuer);
    const flow = await startDeviceAuthorization(connection);
    if (!flow.ok) throw new Error(flow.message);
    const kiosk = await kioskSignIn(http, person);
    const approved = await approve(http, kiosk.sessionToken, flow.value.userCode);
    expect(approved.status).toBe(201);
    const oldOtp = approved.body.otp;

    const page = await openConsole('en');
    await signedIn(page, T.en);
    await lookUpPerson(page, searchPerson('en'));
    await shoot(page, 'en', 'person-waiting-enrollment');
    await page.getByRole('button', { name: T.en.newCode }).click();
    await waitForTitle(page, T.en.reissue);
    await page.getByRole('textbox').fill('person called: code ran out before they scanned');
    await shoot(page, 'en', 'reissue-form');
    await shootAt200(page, 'en', 'reissue-form');
    await page.getByRole('button', { name: T.en.continue }).click();
    await shoot(page, 'en', 'reissue-confirm');
    await page.getByRole('button', { name: T.en.confirm }).click();
    await waitForTitle(page, T.en.shown);
    await page.getByText(T.en.oldDead).waitFor();
    await page.getByText(/This code works for another \d+ min \d+ s\./).waitFor();
    const newOtp = await readOtp(page);
    expect(newOtp).toMatch(/^\d+$/);
    expect(newOtp).not.toBe(oldOtp);
    const qrPayload = decodeQrWithJsqr(await page.locator('.enrollment__qr-frame').screenshot());
    expect(qrPayload).toBe(approved.body.qrPayload);
    expect(await page.locator('svg[role="img"]').count()).toBe(1);
    await shoot(page, 'en', 'reissue-code');
    await shootAt200(page, 'en', 'reissue-code');

    // The issuer refuses the old password and takes the new one.
    const polled = await pollTokenOnce(connection, flow.value, flow.value.intervalSeconds);
    if (!polled.ok || polled.value.state !== 'granted') throw new Error('the phone got no token');
    const token = polled.value.token;
    const old = await redeemEnrollment(connection, {
      token,
      qrPayload: approved.body.qrPayload,
      otp: Buffer.from(oldOtp),
    });
    expect(old.ok).toBe(false);

    // Leaving the screen hides the code: it is nowhere on the page any more.
    await page.getByRole('button', { name: T.en.done }).click();
    await waitForTitle(page, PERSON_NAME);
    expect(await page.content()).not.toContain(newOtp);

    const redeemed = await redeemEnrollment(connection, {
      token,
      qrPayload: approved.body.qrPayload,
      otp: Buffer.from(newOtp),
    });
    connection.close();
    if (!redeemed.ok) throw new Error(`the new password did not redeem: ${redeemed.message}`);
    expect(redeemed.value.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);

    // The person screen still lists the enrollment (looked up before the phone finished): a re-issue now is refused
    // in a sentence, in Dutch too.
    await page.getByRole('button', { name: 'Nederlands' }).click();
    await page.getByRole('button', { name: T.nl.newCode }).click();
    await page.getByRole('textbox').fill('nog een keer');
    await page.getByRole('button', { name: T.nl.continue }).click();
    await page.getByRole('button', { name: T.nl.confirm }).click();
    await page.getByRole('alert').filter({ hasText: T.nl.finished }).waitFor();
    await shoot(page, 'nl', 'reissue-refused');
    await page.close();
  }, 120_000);

  it('a shown code is gone from the page the moment the agent pulls their card', async () => {
    const connection = phoneConnection(agentConsole.demo.issuer);
    const flow = await startDeviceAuthorization(connection);
    connection.close();
    if (!flow.ok) throw new Error(flow.message);
    const kiosk = await kioskSignIn(http, person);
    expect((await approve(http, kiosk.sessionToken, flow.value.userCode)).status).toBe(201);

    const page = await openConsole('nl');
    await signedIn(page, T.nl);
    await lookUpPerson(page, searchPerson('nl'));
    await page.getByRole('button', { name: T.nl.newCode }).click();
    await page.getByRole('textbox').fill('code verlopen');
    await page.getByRole('button', { name: T.nl.continue }).click();
    await page.getByRole('button', { name: T.nl.confirm }).click();
    await waitForTitle(page, T.nl.shown);
    const otp = await readOtp(page);
    await shoot(page, 'nl', 'reissue-code');
    await shootAt200(page, 'nl', 'reissue-code');

    const card = agentCard(agentConsole.demo);
    await card.remove();
    await waitForTitle(page, T.nl.locked);
    expect(await page.content()).not.toContain(otp);
    expect(await page.getByText(PERSON_NAME).count()).toBe(0);
    await card.insert();
    await waitForTitle(page, T.nl.pin);
    await page.close();
  }, 120_000);

  it('every console screen at 200% text (en): nothing runs off the side, axe clean', async () => {
    const card = agentCard(agentConsole.demo);
    const page = await openConsole('en');
    await page.setViewportSize(DESKTOP_ZOOM_200);
    await card.remove();
    await waitForTitle(page, T.en.locked);
    await shootAt200(page, 'en', 'locked', false);
    await card.insert();
    await waitForTitle(page, T.en.pin);
    await shootAt200(page, 'en', 'pin', false);
    await signedIn(page, T.en);
    await shootAt200(page, 'en', 'search', false);
    await lookUpPerson(page, searchPerson('en'), async (step) => {
      if (step !== 'search') await shootAt200(page, 'en', step, false);
    });
    // The credential the re-issue test's phone received: its revoke dialog (form), then cancelled.
    await page.getByRole('button', { name: 'Revoke', exact: true }).first().click();
    await page.getByRole('dialog').waitFor();
    await shootAt200(page, 'en', 'revoke-form', false);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    for (const [tab, title, name] of [
      ['Live queue', 'Enrollments in progress', 'queue'],
      ['Awaiting approval', 'Revocations awaiting approval', 'approvals'],
      [T.en.kiosksTab, T.en.kiosks, 'kiosks'],
    ] as const) {
      await page.getByRole('button', { name: tab, exact: true }).click();
      await waitForTitle(page, title);
      await shootAt200(page, 'en', name, false);
    }
    await page.close();
  }, 120_000);
});
