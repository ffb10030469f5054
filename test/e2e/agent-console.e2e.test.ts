// The help-desk agent console end to end, as an agent uses it: Debian Chromium on the browser host
// (`dck agent --browser --demo`: demo/demo-console.ts), the agent's virtual PIV card (Dana Desk) in a private pcscd,
// the real issuer over HTTPS, and a person enrolled by the test through the issuer's own routes. Sign in with the
// card and PIN, look the person up, revoke a credential (OpenSSL then refuses it against the issuer's CRL), a
// four-eyes revocation "sent for approval", a helpdesk-only agent told "your role cannot do this" where only an
// approver may act, and the card pulled → locked. Screenshots of each screen in English and Dutch go to
// test-output/screenshots/agent-*.png, and axe checks each one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startDemoConsole } from '../../demo/demo-console.ts';
import type { DemoConsole } from '../../demo/demo-console.ts';
import { agentIdentityKey, withdrawAgentRole } from '../../issuer/agent/agent-roles.ts';
import { changeTenantSettings } from '../../issuer/lifecycle/tenant-settings.ts';
import type { IssuedCardCertificate } from '../../virtual-card/test-pki.ts';
import { IssuerHttpClient } from '../integration/issuer/issuer-client.ts';
import type { IssuerHarness } from '../integration/issuer/issuer-fixture.ts';
import {
  issueCredential,
  opensslVerify,
  relyingPartyFiles,
} from '../integration/issuer/lifecycle/lifecycle-fixture.ts';
import type { IssuedCredential } from '../integration/issuer/lifecycle/lifecycle-fixture.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import { expectNoAxeViolations, screenshot, typePin, waitForTitle } from './support/kiosk-page.ts';

const T = {
  en: {
    locked: 'Insert your agent card',
    pin: 'Enter your PIN',
    people: 'Look up a person',
    approvals: 'Revocations awaiting approval',
    signedIn: 'Signed in as Dana Desk',
    search: 'Search',
    revoke: 'Revoke',
    suspend: 'Suspend',
    next: 'Continue',
    confirm: 'Yes, do it',
    revoked: 'The credential was revoked.',
    suspended: 'The credential was suspended.',
    sentForApproval: /^Sent for approval/,
    forbidden: 'Your role cannot do this.',
    cardRemoved: 'Your card was taken out, so the console locked and you were signed out.',
    approve: 'Approve',
    approvalsTab: 'Awaiting approval',
  },
  nl: {
    locked: 'Plaats uw medewerkerspas',
    pin: 'Voer uw pincode in',
    people: 'Persoon opzoeken',
    approvals: 'Intrekkingen die wachten op goedkeuring',
    signedIn: 'Aangemeld als Dana Desk',
    search: 'Zoeken',
    revoke: 'Intrekken',
    suspend: 'Opschorten',
    next: 'Verder',
    confirm: 'Ja, uitvoeren',
    revoked: 'De inloggegevens zijn ingetrokken.',
    suspended: 'De inloggegevens zijn opgeschort.',
    sentForApproval: /^Ter goedkeuring verstuurd/,
    forbidden: 'Uw rol mag dit niet.',
    cardRemoved: 'Uw pas is eruit gehaald, dus de console is vergrendeld en u bent afgemeld.',
    approve: 'Goedkeuren',
    approvalsTab: 'Wacht op goedkeuring',
  },
} as const;
type Lang = keyof typeof T;

const PERSON_NAME = 'Pat Person';
const runs = chromiumAvailable();
let agentConsole: DemoConsole;
let browser: Browser;
let h: IssuerHarness;
let workDir: string;
let person: IssuedCardCertificate;

/** The demo's issuer in the shape the issuer fixtures take, so the test enrolls a person as a kiosk + phone would. */
function harnessOf(started: DemoConsole, dataDir: string): IssuerHarness {
  const issuer = started.demo.issuer;
  const http = new IssuerHttpClient(issuer.url, issuer.tlsCertificatePem, 64);
  return {
    issuer,
    http,
    pki: started.demo.pki,
    dataDir,
    card: () => started.demo.pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Someone Else' }),
    advanceClock: () => {
      throw new Error('the demo issuer runs on real time');
    },
    close: () => {
      http.close();
      return Promise.resolve();
    },
  };
}

async function shoot(page: Page, lang: Lang, name: string): Promise<void> {
  await screenshot(page, `agent-${name}-${lang}`);
  await expectNoAxeViolations(page, `agent ${name} (${lang})`);
}

async function openConsole(lang: Lang): Promise<Page> {
  // Its own context (axe needs one); closing the page closes it.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('close', () => void context.close());
  await page.goto(agentConsole.console.host.newLaunchUrl());
  if (lang === 'nl') await page.getByRole('button', { name: 'Nederlands' }).click();
  return page;
}

async function signIn(page: Page, lang: Lang, shots: boolean): Promise<void> {
  await waitForTitle(page, T[lang].pin);
  if (shots) await shoot(page, lang, 'pin');
  await typePin(page, '123456');
  await waitForTitle(page, T[lang].people);
  await expect.poll(() => page.getByText(T[lang].signedIn).isVisible()).toBe(true);
}

async function openPerson(page: Page, lang: Lang, shots: boolean): Promise<void> {
  await page.getByRole('searchbox').fill('pat pers');
  if (shots) await shoot(page, lang, 'search');
  await page.getByRole('button', { name: T[lang].search, exact: true }).click();
  const result = page.getByRole('button', { name: new RegExp(PERSON_NAME) });
  await result.waitFor({ state: 'visible' });
  if (shots) await shoot(page, lang, 'results');
  await result.click();
  await waitForTitle(page, PERSON_NAME);
  if (shots) await shoot(page, lang, 'person');
}

/** The agent's card out and in again: the console locks, then asks for the PIN (the next test starts there). */
async function pullAndReinsert(page: Page, lang: Lang): Promise<void> {
  const card = agentConsole.demo.virtualCard;
  if (card === null) throw new Error('no virtual agent card');
  await card.remove();
  await waitForTitle(page, T[lang].locked);
  await card.insert();
  await waitForTitle(page, T[lang].pin);
}

/** Acts on the credential's row: the dialog's form (note), its confirmation step, and the sentence it ends with. */
async function act(
  page: Page,
  lang: Lang,
  credential: IssuedCredential,
  action: 'revoke' | 'suspend',
  shots: boolean,
): Promise<string> {
  const row = page.getByRole('row').filter({ hasText: credential.serialNumberHex });
  await row.getByRole('button', { name: T[lang][action], exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox').fill('phone reported stolen at the desk');
  if (shots) await shoot(page, lang, `${action}-form`);
  await dialog.getByRole('button', { name: T[lang].next }).click();
  if (shots) await shoot(page, lang, `${action}-confirm`);
  await dialog.getByRole('button', { name: T[lang].confirm }).click();
  const outcome = page.locator('.notice[role="status"], dialog .notice[role="alert"]').first();
  await outcome.waitFor({ state: 'visible' });
  return outcome.innerText();
}

beforeAll(async () => {
  if (!runs) return;
  await ensureRendererBuilt();
  workDir = mkdtempSync(join(tmpdir(), 'dck-agent-e2e-'));
  agentConsole = await startDemoConsole({
    // The test enrolls people from one loopback address: far more than the per-address default allows.
    issuerConfig: {
      rateLimits: { unauthenticatedPerAddressPerMinute: 100_000, unauthenticatedServicePerMinute: 100_000 },
    },
  });
  h = harnessOf(agentConsole, workDir);
  person = await h.pki.issueCardCertificate({
    keyAlgorithm: 'P-256',
    commonName: PERSON_NAME,
    fascn: `d8${'0'.repeat(48)}`,
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await agentConsole?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!runs)('agent console in Chromium (browser host, virtual agent card, real issuer)', () => {
  it('signs in with the card, looks a person up, revokes: OpenSSL then refuses the derived certificate', async () => {
    const credential = await issueCredential(h, { card: person, deviceId: 'phone-e2e-1' });
    const page = await openConsole('en');
    await signIn(page, 'en', true);
    await openPerson(page, 'en', true);
    const row = page.getByRole('row').filter({ hasText: credential.serialNumberHex });
    // The device as the issuer knows it: the model and platform only when confirmed at the kiosk (this test's phone
    // reported them at redeem only), so "Unknown device" here.
    await expect.poll(() => row.innerText()).toMatch(/Unknown device\s+Active/);
    expect(await act(page, 'en', credential, 'revoke', true)).toBe(T.en.revoked);
    await expect.poll(() => row.innerText()).toMatch(/Revoked/);
    await shoot(page, 'en', 'person-after-revoke');

    const rp = await relyingPartyFiles(h);
    const verdict = await opensslVerify(rp.caFile, rp.crlFile, credential.certificateFile);
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/certificate revoked/);
    await pullAndReinsert(page, 'en');
    await page.close();
  }, 120_000);

  it('the same screens in Dutch: suspend, then the card pulled locks the console at once', async () => {
    const credential = await issueCredential(h, { card: person, deviceId: 'phone-e2e-2' });
    const page = await openConsole('nl');
    const card = agentConsole.demo.virtualCard;
    if (card === null) throw new Error('no virtual agent card');
    // A fresh page while the card is in: the PIN screen (the console opens on it).
    await signIn(page, 'nl', true);
    await openPerson(page, 'nl', true);
    expect(await act(page, 'nl', credential, 'suspend', true)).toBe(T.nl.suspended);
    await card.remove();
    await waitForTitle(page, T.nl.locked);
    await expect.poll(() => page.getByText(T.nl.cardRemoved).isVisible()).toBe(true);
    // Nothing of the person is left on screen.
    expect(await page.getByText(PERSON_NAME).count()).toBe(0);
    await shoot(page, 'nl', 'locked-card-removed');
    await card.insert();
    await waitForTitle(page, T.nl.pin);
    await page.close();
  }, 120_000);

  it('four eyes: a revocation is sent for approval; with only helpdesk left, approving is refused in a sentence', async () => {
    const storage = agentConsole.demo.issuer.storage;
    await changeTenantSettings(
      storage,
      agentConsole.demo.issuer.config,
      { validateCancellation: 'on' },
      { kind: 'admin', id: 'e2e' },
      new Date(),
    );
    // The issuer re-reads tenant settings at most every 5 s.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const credential = await issueCredential(h, { card: person, deviceId: 'phone-e2e-3' });
    for (const lang of ['en', 'nl'] as const) {
      // The Dutch page joins the console the English one signed in: main has one agent session, any page shows it.
      const page = await openConsole(lang);
      if (lang === 'en') await signIn(page, lang, false);
      else await waitForTitle(page, T[lang].people);
      if (lang === 'en') {
        await openPerson(page, lang, false);
        expect(await act(page, lang, credential, 'revoke', false)).toMatch(T[lang].sentForApproval);
        await shoot(page, lang, 'sent-for-approval');
        const agentUuid = agentConsole.demo.virtualCard?.identity.uuid ?? '';
        await withdrawAgentRole(
          storage,
          agentIdentityKey('uuid', agentUuid),
          'approver',
          { kind: 'admin', id: 'e2e' },
          new Date(),
        );
      }
      await page.getByRole('button', { name: T[lang].approvalsTab }).click();
      await waitForTitle(page, T[lang].approvals);
      const request = page.locator('.console__request').filter({ hasText: PERSON_NAME });
      await request.getByRole('textbox').fill('checked with the manager');
      await request.getByRole('button', { name: T[lang].approve, exact: true }).click();
      await expect.poll(() => page.getByText(T[lang].forbidden).isVisible()).toBe(true);
      await shoot(page, lang, 'approvals-refused');
      await page.close();
    }
  }, 120_000);
});
