// The "this PC" flow's faults against a real issuer (HTTPS, SQLite) and a real SoftHSM2 token: the issuer gone after
// the key was made, an install that fails after the certificate was issued, a tenant that refuses software keys, a
// renewal whose old credential stays valid until the new one is in. Each ends with nothing half-done: no key
// without a certificate, no issued certificate left unrevoked. The card's PKI-AUTH is the test PKI's card signing
// in over the issuer's routes (the real card and reader are in test/integration/cli/pc.test.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { err, ok } from '../../../../contracts/kiosk-api.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { openSqliteStorage, ISSUER_DATABASE_FILE } from '../../../../issuer/storage/sqlite-storage.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { HttpsIssuerClient } from '../../../../main/issuer-client/https-issuer-client.ts';
import { enrollThisPc, removeThisPc, renewThisPc } from '../../../../main/this-pc/this-pc.ts';
import type { PcIssuerPort, ThisPc } from '../../../../main/this-pc/this-pc.ts';
import {
  DeviceKeyError,
  initializeDeviceToken,
  Pkcs11DeviceKeyStore,
  SOFTHSM2_MODULE,
} from '../../../../native/device-keys/index.ts';
import type { DeviceKeyStore } from '../../../../native/device-keys/index.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { kioskSignIn, startHarness } from '../../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../../issuer/issuer-fixture.ts';

const TOKEN_LABEL = 'dck this pc';
const TOKEN_PIN = 'a1b2c3d4e5f6a7b8';

let h: IssuerHarness;
let work: string;
let issuer: HttpsIssuerClient;
let store: Pkcs11DeviceKeyStore;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dck-this-pc-'));
  mkdirSync(join(work, 'softhsm'));
  writeFileSync(
    join(work, 'softhsm2.conf'),
    `directories.tokendir = ${join(work, 'softhsm')}\nobjectstore.backend = file\n`,
  );
  process.env.SOFTHSM2_CONF = join(work, 'softhsm2.conf');
  initializeDeviceToken(SOFTHSM2_MODULE, TOKEN_LABEL, Buffer.from('so-pin-12345678'), Buffer.from(TOKEN_PIN));
  store = new Pkcs11DeviceKeyStore({
    modulePath: SOFTHSM2_MODULE,
    tokenLabel: TOKEN_LABEL,
    protection: 'software',
    tokenPin: () => Buffer.from(TOKEN_PIN),
  });
  h = await startHarness();
  issuer = new HttpsIssuerClient({ baseUrl: h.issuer.url, trustedCaPem: h.issuer.tlsCertificatePem });
}, 60_000);
afterAll(async () => {
  issuer.close();
  await h.close();
  rmSync(work, { recursive: true, force: true });
});
afterEach(async () => {
  for (const { keyId } of await store.list()) await store.delete(keyId);
});

function pcWith(
  card: IssuedCardCertificate,
  overrides: { store?: DeviceKeyStore; issuer?: PcIssuerPort } = {},
): ThisPc {
  return {
    store: overrides.store ?? store,
    issuer: overrides.issuer ?? issuer,
    device: { id: 'pc-0011223344556677', platform: 'Linux' },
    label: 'Test Agency',
    signIn: async () => ok({ sessionToken: (await kioskSignIn(h.http, card)).sessionToken, commonName: '' }),
  };
}

/** The real store, but its install fails as a full or busy token would. */
function withInstall(install: DeviceKeyStore['install']): DeviceKeyStore {
  return Object.assign(Object.create(store) as Pkcs11DeviceKeyStore, { install });
}

async function storedCredential(serial: string) {
  const storage = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
  try {
    return await storage.findDerivedCertificate(serial);
  } finally {
    await storage.close();
  }
}

describe('this PC', () => {
  it('the issuer unreachable after the key was made: the key is deleted, and the person is told', async () => {
    const unreachable: PcIssuerPort = {
      challenge: () => issuer.challenge(),
      answerChallenge: (answer) => issuer.answerChallenge(answer),
      enrollPc: () => Promise.resolve(err({ code: 'unreachable', detail: 'connect ECONNREFUSED' })),
      revokePcCredential: (serial, request) => issuer.revokePcCredential(serial, request),
    };
    const result = await enrollThisPc(pcWith(await h.card(), { issuer: unreachable }));
    expect(result).toMatchObject({ ok: false, error: { code: 'issuer-unreachable' } });
    expect(!result.ok && result.error.message).toContain('The key made for it was deleted.');
    expect(await store.list()).toEqual([]);
  });

  it('an install that fails after issuance: the certificate is revoked (audited) and the key deleted', async () => {
    let issuedSerial = '';
    const watching: PcIssuerPort = {
      challenge: () => issuer.challenge(),
      answerChallenge: (answer) => issuer.answerChallenge(answer),
      enrollPc: async (session, request) => {
        const answer = await issuer.enrollPc(session, request);
        if (answer.ok) issuedSerial = answer.value.serialNumberHex;
        return answer;
      },
      revokePcCredential: (serial, request) => issuer.revokePcCredential(serial, request),
    };
    const failingInstall = withInstall(() =>
      Promise.reject(new DeviceKeyError('store-full', 'C_CreateObject: CKR_DEVICE_MEMORY')),
    );
    const result = await enrollThisPc(pcWith(await h.card(), { store: failingInstall, issuer: watching }));
    expect(result).toMatchObject({ ok: false, error: { code: 'install-failed' } });
    expect(!result.ok && result.error.message).toContain('was revoked and its key deleted');
    expect(await store.list()).toEqual([]);
    expect(await storedCredential(issuedSerial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'cessationOfOperation',
    });
  });

  it('a tenant that refuses software keys: refused by the issuer, the software key deleted', async () => {
    const storage = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
    await changeTenantSettings(
      storage,
      parseIssuerConfig({}),
      { pcSoftwareKeys: 'refuse' },
      { kind: 'admin', id: 'test' },
      new Date(),
    );
    await storage.close();
    try {
      // The issuer re-reads tenant settings every few seconds.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const result = await enrollThisPc(pcWith(await h.card()));
      expect(result).toMatchObject({
        ok: false,
        error: { code: 'issuer-refused', issuerCode: 'software-key-refused' },
      });
      expect(await store.list()).toEqual([]);
    } finally {
      const back = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
      await changeTenantSettings(
        back,
        parseIssuerConfig({}),
        { pcSoftwareKeys: 'allow' },
        { kind: 'admin', id: 'test' },
        new Date(),
      );
      await back.close();
      await new Promise((resolve) => setTimeout(resolve, 5_500));
    }
  }, 30_000);

  it('renew: the old credential stays valid until the new one is installed, then it is revoked as superseded', async () => {
    const card = await h.card();
    const first = await enrollThisPc(pcWith(card));
    if (!first.ok) throw new Error(first.error.message);
    // A renewal whose install fails leaves the old credential as it was: active, installed.
    const failing = withInstall(() =>
      Promise.reject(new DeviceKeyError('store-busy', 'C_CreateObject: CKR_SESSION_COUNT')),
    );
    expect(await renewThisPc(pcWith(card, { store: failing }), first.value)).toMatchObject({ ok: false });
    expect((await storedCredential(first.value.serialNumberHex))?.status).toBe('active');
    expect((await store.list()).map((entry) => entry.keyId)).toEqual([first.value.keyId]);

    const renewed = await renewThisPc(pcWith(card), first.value);
    if (!renewed.ok) throw new Error(renewed.error.message);
    expect(renewed.value.oldCredentialLeft).toBeNull();
    expect(await storedCredential(first.value.serialNumberHex)).toMatchObject({
      status: 'revoked',
      revocationReason: 'superseded',
    });
    expect((await store.list()).map((entry) => entry.keyId)).toEqual([renewed.value.credential.keyId]);

    expect(await removeThisPc(pcWith(card), renewed.value.credential)).toEqual({ ok: true, value: null });
    expect((await storedCredential(renewed.value.credential.serialNumberHex))?.revocationReason).toBe(
      'cessationOfOperation',
    );
    expect(await store.list()).toEqual([]);
  }, 60_000);
});
