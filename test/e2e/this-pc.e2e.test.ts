// "Set up this PC" in the app's screens, as a person at their own PC uses them: Debian Chromium on the browser host
// (`dck pc --browser`: cli/pc-app.ts), the project's virtual PIV card in a private pcscd reader, the real issuer over
// HTTPS (SQLite), and a SoftHSM2 token as this PC's key store (software-protected: a PC without a TPM; the TPM
// driver is proven in test/integration/cli/pc.test.ts). Set up, see the status, renew, remove (with its
// confirmation), in English and in Dutch; a wrong PIN asks again; the card pulled at the PIN screen ends with its
// sentence and nothing made. The issuer's database and the token are checked after each step. Screenshots of each
// screen go to test-output/screenshots/pc-*.png, and axe checks each one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startPcApp } from '../../cli/pc-app.ts';
import type { RunningPcApp } from '../../cli/pc-app.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../issuer/storage/sqlite-storage.ts';
import { createPcscCardPort } from '../../main/card/pcsc-card-port.ts';
import { loadPcState, readTokenPin } from '../../main/this-pc/pc-state.ts';
import { Pkcs11DeviceKeyStore, SOFTHSM2_MODULE } from '../../native/device-keys/index.ts';
import { createSmartCardService } from '../../native/pcsc/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../virtual-card/pcscd/pcsc-environment.ts';
import { DEMO_PIN } from '../../virtual-card/profiles.ts';
import { startVirtualCard } from '../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../virtual-card/virtual-card.ts';
import { startHarness } from '../integration/issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../integration/issuer/issuer-fixture.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import { openDesktopApp, screenShooters } from './support/console-page.ts';
import { typePin, waitForTitle } from './support/kiosk-page.ts';
import type { Lang } from './support/kiosk-page.ts';

const T = {
  en: {
    notSetUp: 'Set up this PC',
    setUpButton: 'Set up this PC',
    insertCard: 'Insert your smart card',
    pin: 'Enter your PIN',
    wrongPin: /That PIN was not correct\. You have 2 tries left\./,
    setUp: 'This PC is set up',
    renewed: 'This PC’s credential is renewed',
    removed: 'This PC’s credential is removed',
    renew: 'Renew',
    remove: 'Remove',
    confirmRemove: 'Yes, remove it',
    done: 'Done',
    expires: 'Expires',
    software: 'Software on this PC (no security chip)',
    notSetUpFailed: 'This PC was not set up',
    cardRemoved: 'Your card was taken out before it was done. Insert it and try again.',
    back: 'Back',
  },
  nl: {
    notSetUp: 'Deze pc instellen',
    setUpButton: 'Deze pc instellen',
    insertCard: 'Plaats uw smartcard',
    pin: 'Voer uw pincode in',
    wrongPin: /Die pincode was niet juist\. U hebt nog 2 pogingen\./,
    setUp: 'Deze pc is ingesteld',
    renewed: 'De inloggegevens van deze pc zijn vernieuwd',
    removed: 'De inloggegevens van deze pc zijn verwijderd',
    renew: 'Vernieuwen',
    remove: 'Verwijderen',
    confirmRemove: 'Ja, verwijderen',
    done: 'Klaar',
    expires: 'Verloopt op',
    software: 'Software op deze pc (geen beveiligingschip)',
    notSetUpFailed: 'Deze pc is niet ingesteld',
    cardRemoved: 'Uw pas is eruit gehaald voordat het klaar was. Steek hem erin en probeer het opnieuw.',
    back: 'Terug',
  },
} as const;

const WRONG_PIN = '654321';
const runs = chromiumAvailable();
let h: IssuerHarness;
let environment: PcscEnvironment;
let card: VirtualCard;
let app: RunningPcApp;
let browser: Browser;
let work: string;
const logLines: string[] = [];

const stateDir = (): string => join(work, 'state');

const { shoot } = screenShooters('pc', 'this PC');
const openApp = (lang: Lang): Promise<Page> => openDesktopApp(browser, app.host, lang);

/** The credential the state file names, as the issuer's database has it. */
async function issuerRecord(serial: string) {
  const storage = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
  try {
    return await storage.findDerivedCertificate(serial);
  } finally {
    await storage.close();
  }
}

async function savedCredential(): Promise<{ serialNumberHex: string; keyId: string } | null> {
  const loaded = await loadPcState(stateDir());
  return loaded.ok ? loaded.state.credential : null;
}

/** The keys on this PC's token, each with whether its certificate is installed. */
async function tokenKeys(): Promise<{ keyId: string; installed: boolean }[]> {
  const pin = await readTokenPin(stateDir());
  if (pin === null) return [];
  const store = new Pkcs11DeviceKeyStore({
    modulePath: SOFTHSM2_MODULE,
    tokenLabel: 'dck this pc',
    protection: 'software',
    tokenPin: () => Buffer.from(pin),
  });
  return (await store.list()).map((entry) => ({ keyId: entry.keyId, installed: entry.certificateDer !== null }));
}

async function cardAndPin(page: Page, lang: Lang, shots: boolean): Promise<void> {
  await waitForTitle(page, T[lang].pin);
  if (shots) await shoot(page, lang, 'pin');
  await typePin(page, DEMO_PIN);
}

beforeAll(async () => {
  if (!runs) return;
  await ensureRendererBuilt();
  work = mkdtempSync(join(tmpdir(), 'dck-pc-e2e-'));
  mkdirSync(join(work, 'softhsm'));
  writeFileSync(
    join(work, 'softhsm2.conf'),
    `directories.tokendir = ${join(work, 'softhsm')}\nobjectstore.backend = file\n`,
  );
  process.env.SOFTHSM2_CONF = join(work, 'softhsm2.conf');
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  h = await startHarness();
  card = await startVirtualCard({ profile: 'p256', pki: h.pki, port: environment.vpcdPort, insert: false });
  writeFileSync(join(work, 'issuer-tls.pem'), h.issuer.tlsCertificatePem);
  app = await startPcApp(
    {
      stateDir: stateDir(),
      issuerUrl: h.issuer.url,
      caFile: join(work, 'issuer-tls.pem'),
      protection: 'software',
      nssDb: 'none',
      systemdDir: join(work, 'units'),
    },
    createPcscCardPort(createSmartCardService()),
    { log: (event, fields) => logLines.push(`${event} ${JSON.stringify(fields ?? {})}`) },
  );
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  if (!runs) return;
  await browser.close();
  await app.stop();
  await card.stop();
  await environment.stop();
  await h.close();
  rmSync(work, { recursive: true, force: true });
  expect(logLines.join('\n')).not.toContain(DEMO_PIN);
}, 60_000);

describe.runIf(runs)('Set up this PC (Chromium, virtual card, real issuer, SoftHSM2)', () => {
  it.each(['en', 'nl'] as const)(
    'set up, see the status, renew, remove (%s)',
    async (lang) => {
      const page = await openApp(lang);
      await waitForTitle(page, T[lang].notSetUp);
      await shoot(page, lang, 'not-set-up');

      // Set up: the card goes in on the "insert your card" screen; a wrong PIN asks again.
      await page.getByRole('button', { name: T[lang].setUpButton }).click();
      await waitForTitle(page, T[lang].insertCard);
      await shoot(page, lang, 'insert-card');
      await card.insert();
      await waitForReaderState(environment.env, environment.readerName, 'present');
      await waitForTitle(page, T[lang].pin);
      await typePin(page, WRONG_PIN);
      await page.getByText(T[lang].wrongPin).waitFor({ state: 'visible' });
      await shoot(page, lang, 'pin-wrong');
      await typePin(page, DEMO_PIN);
      await waitForTitle(page, T[lang].setUp, 30_000);
      await expect.poll(() => page.getByText(T[lang].software).isVisible()).toBe(true);
      await shoot(page, lang, 'done-set-up');
      const first = await savedCredential();
      if (first === null) throw new Error('no credential saved after set-up');
      expect((await issuerRecord(first.serialNumberHex))?.status).toBe('active');
      expect(await tokenKeys()).toEqual([{ keyId: first.keyId, installed: true }]);

      // The status view: what is installed, its expiry and renewal date, Renew and Remove.
      await page.getByRole('button', { name: T[lang].done }).click();
      await waitForTitle(page, T[lang].setUp);
      await expect.poll(() => page.getByText(first.serialNumberHex).isVisible()).toBe(true);
      await expect.poll(() => page.getByText(T[lang].expires, { exact: true }).isVisible()).toBe(true);
      await shoot(page, lang, 'status');

      // Renew: the card is still in, so the PIN comes next; the old credential is revoked as superseded.
      await page.getByRole('button', { name: T[lang].renew, exact: true }).click();
      await cardAndPin(page, lang, lang === 'en');
      await waitForTitle(page, T[lang].renewed, 30_000);
      await shoot(page, lang, 'done-renewed');
      const second = await savedCredential();
      if (second === null) throw new Error('no credential saved after renewal');
      expect(second.serialNumberHex).not.toBe(first.serialNumberHex);
      expect(await issuerRecord(first.serialNumberHex)).toMatchObject({
        status: 'revoked',
        revocationReason: 'superseded',
      });
      expect(await tokenKeys()).toEqual([{ keyId: second.keyId, installed: true }]);

      // Remove: asks first; then revoked by the issuer, key and certificate gone, state gone.
      await page.getByRole('button', { name: T[lang].done }).click();
      await waitForTitle(page, T[lang].setUp);
      await page.getByRole('button', { name: T[lang].remove, exact: true }).click();
      await page.getByRole('alertdialog').waitFor({ state: 'visible' });
      await shoot(page, lang, 'remove-confirm');
      await page.getByRole('button', { name: T[lang].confirmRemove }).click();
      await waitForTitle(page, T[lang].removed, 30_000);
      await shoot(page, lang, 'done-removed');
      expect((await issuerRecord(second.serialNumberHex))?.status).toBe('revoked');
      expect(await tokenKeys()).toEqual([]);
      expect(await savedCredential()).toBeNull();
      await page.getByRole('button', { name: T[lang].done }).click();
      await waitForTitle(page, T[lang].notSetUp);
      await card.remove();
      await waitForReaderState(environment.env, environment.readerName, 'empty');
      await page.close();
    },
    120_000,
  );

  it.each(['en', 'nl'] as const)(
    'the card pulled at the PIN screen: its sentence, and nothing made on the PC (%s)',
    async (lang) => {
      const page = await openApp(lang);
      await waitForTitle(page, T[lang].notSetUp);
      await page.getByRole('button', { name: T[lang].setUpButton }).click();
      await card.insert();
      await waitForTitle(page, T[lang].pin);
      await card.remove();
      await waitForTitle(page, T[lang].notSetUpFailed);
      await expect.poll(() => page.getByRole('alert').innerText()).toBe(T[lang].cardRemoved);
      await shoot(page, lang, 'failed-card-removed');
      expect(await tokenKeys()).toEqual([]);
      expect(await savedCredential()).toBeNull();
      await page.getByRole('button', { name: T[lang].back }).click();
      await waitForTitle(page, T[lang].notSetUp);
      await page.close();
    },
    60_000,
  );
});
