// The Linux device key store against real tokens: tpm2-pkcs11 on a private swtpm (protection 'tpm') and SoftHSM2
// ('software'). The key never leaves the token (pkcs11-tool says so, reading its value fails), the CSR verifies with
// OpenSSL, a certificate issued by a test CA installs beside its key and lists, delete leaves nothing, and NSS (a
// private sql: database, never ~/.pki) lists the module and the certificate.
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DeviceKeyError,
  initializeDeviceToken,
  listNssCertificates,
  listNssModules,
  NSS_MODULE_NAME,
  Pkcs11DeviceKeyStore,
  registerModuleInNss,
  SOFTHSM2_MODULE,
  TPM2_PKCS11_MODULE,
} from '../../../../native/device-keys/index.ts';
import type { DeviceKeyProtection } from '../../../../native/device-keys/index.ts';
import { Pkcs11Failure } from '../../../../native/pkcs11/errors.ts';
import { chooseSlot, closeModule, login, openModule, pkcs11js } from '../../../../native/pkcs11/piv-token.ts';
import { attribute, findObjects } from '../../../../native/pkcs11/token-key.ts';
import { startSoftwareTpm } from './swtpm.ts';
import type { SoftwareTpm } from './swtpm.ts';

const TOKEN_LABEL = 'dck this pc';
const USER_PIN = '246810';
const SO_PIN = '13579111';
const pin = (): Buffer => Buffer.from(USER_PIN);

let tpm: SoftwareTpm;
let work: string;
let childEnv: NodeJS.ProcessEnv;
let caKey: string;
let caCert: string;

const openssl = (args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  tpm = await startSoftwareTpm();
  work = mkdtempSync(join(tmpdir(), 'dck-device-keys-'));
  mkdirSync(join(work, 'softhsm'));
  writeFileSync(
    join(work, 'softhsm2.conf'),
    `directories.tokendir = ${join(work, 'softhsm')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = join(work, 'softhsm2.conf');
  childEnv = { ...tpm.env, SOFTHSM2_CONF: join(work, 'softhsm2.conf') };
  caKey = join(work, 'ca.key');
  caCert = join(work, 'ca.pem');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=Test Derived CA',
    '-days',
    '2',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ]);
}, 60_000);
afterAll(async () => {
  await tpm.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The issuer's part, played by OpenSSL: a certificate for the CSR's key, signed by the test CA. */
function issue(csrDer: Uint8Array, name: string): Buffer {
  const csr = join(work, `${name}.csr.der`);
  const certificate = join(work, `${name}.cer`);
  writeFileSync(csr, csrDer);
  openssl(['req', '-inform', 'DER', '-in', csr, '-out', `${csr}.pem`]);
  openssl([
    'x509',
    '-req',
    '-in',
    `${csr}.pem`,
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-days',
    '1',
    '-outform',
    'DER',
    '-out',
    certificate,
  ]);
  return readFileSync(certificate);
}

function caCertificateDer(): Buffer {
  const path = join(work, 'ca.der');
  openssl(['x509', '-in', caCert, '-outform', 'DER', '-out', path]);
  return readFileSync(path);
}

/** Reads the private key's CKA_VALUE directly: what a program that wanted to copy the key would try. */
function readPrivateKeyValue(modulePath: string, keyId: string): unknown {
  const module = openModule(modulePath);
  try {
    const session = module.C_OpenSession(chooseSlot(module, { tokenLabel: TOKEN_LABEL }), pkcs11js.CKF_SERIAL_SESSION);
    login(module, session, pin());
    const [key] = findObjects(
      module,
      session,
      [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_ID, value: Buffer.from(keyId, 'hex') },
      ],
      1,
    );
    if (key === undefined) return 'no key';
    try {
      return attribute(module, session, key, pkcs11js.CKA_VALUE);
    } catch (error) {
      return error;
    }
  } finally {
    closeModule(module);
  }
}

describe.each<[string, string, DeviceKeyProtection]>([
  ['tpm2-pkcs11 on swtpm', TPM2_PKCS11_MODULE, 'tpm'],
  ['SoftHSM2', SOFTHSM2_MODULE, 'software'],
])('device key store over %s', (_name, modulePath, protection) => {
  const store = new Pkcs11DeviceKeyStore({ modulePath, tokenLabel: TOKEN_LABEL, protection, tokenPin: pin });

  beforeAll(() => {
    const [so, user] = [Buffer.from(SO_PIN), Buffer.from(USER_PIN)];
    expect(initializeDeviceToken(modulePath, TOKEN_LABEL, so, user)).toBe('initialised');
    expect(so.every((byte) => byte === 0) && user.every((byte) => byte === 0)).toBe(true);
    expect(initializeDeviceToken(modulePath, TOKEN_LABEL, Buffer.from(SO_PIN), Buffer.from(USER_PIN))).toBe(
      'already-initialised',
    );
  }, 60_000);
  // Without a resource manager the TPM keeps what each connection loaded (see swtpm.ts).
  beforeEach(() => tpm.flushTransient());
  // One failing test must not leave keys that fail the next one's listing.
  afterEach(async () => {
    tpm.flushTransient();
    for (const { keyId } of await store.list()) await store.delete(keyId);
  });

  it('generates a key that never leaves the token, with a CSR OpenSSL verifies', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    expect(key.protection).toBe(protection);
    const listing = execFileSync(
      'pkcs11-tool',
      ['--module', modulePath, '--token-label', TOKEN_LABEL, '--login', '--pin', USER_PIN, '-O', '--type', 'privkey'],
      { env: childEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
    );
    expect(listing).toMatch(new RegExp(`ID:\\s+${key.keyId}`));
    expect(listing).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    // SoftHSM2 says CKR_ATTRIBUTE_SENSITIVE; tpm2-pkcs11 has no value to give (the TPM holds it) and says so.
    const read = readPrivateKeyValue(modulePath, key.keyId);
    expect(read).toBeInstanceOf(Pkcs11Failure);
    expect((read as Pkcs11Failure).code).toBe(
      protection === 'tpm' ? 'CKR_ATTRIBUTE_TYPE_INVALID' : 'CKR_ATTRIBUTE_SENSITIVE',
    );

    const csr = join(work, `verify-${protection}.der`);
    writeFileSync(csr, key.csrDer);
    execFileSync('openssl', ['req', '-inform', 'DER', '-in', csr, '-verify', '-noout'], { stdio: 'pipe' });
    const csrKey = openssl(['req', '-inform', 'DER', '-in', csr, '-pubkey', '-noout']);
    expect(csrKey).toContain(Buffer.from(key.publicKeySpkiDer).toString('base64').slice(0, 60));
    expect(openssl(['req', '-inform', 'DER', '-in', csr, '-noout', '-subject'])).toContain('CN = Pat Example');
    await store.delete(key.keyId);
  }, 60_000);

  it('installs the issued certificate and chain beside the key, lists it, and deletes all of it', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    const certificate = issue(key.csrDer, `installed-${protection}`);
    await store.install(key.keyId, certificate, [caCertificateDer()]);
    const [credential, ...others] = await store.list();
    expect(others).toEqual([]);
    expect(credential).toMatchObject({ keyId: key.keyId, label: 'Example Agency', protection });
    expect(Buffer.from(credential?.certificateDer ?? []).equals(certificate)).toBe(true);

    await store.delete(key.keyId);
    expect(await store.list()).toEqual([]);
    await expect(store.delete(key.keyId)).rejects.toMatchObject({ code: 'no-such-key' });
  }, 60_000);

  it('signs with the key (r ‖ s over SHA-256, as the issuer verifies a PC revocation); an unknown key signs nothing', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    tpm.flushTransient();
    const message = Buffer.from('DCK PC-REVOKE v1 test message');
    const signature = await store.sign(key.keyId, message);
    const publicKey = createPublicKey({ key: Buffer.from(key.publicKeySpkiDer), format: 'der', type: 'spki' });
    expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('another'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(
      false,
    );
    tpm.flushTransient();
    await expect(store.sign('00112233445566ff', message)).rejects.toMatchObject({ code: 'no-such-key' });
    tpm.flushTransient();
    await store.delete(key.keyId);
  }, 60_000);

  it('refuses a certificate for another key, and bytes that are no certificate, installing nothing', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    const other = await store.generateKey({ commonName: 'Someone Else', label: 'Example Agency' });
    const othersCertificate = issue(other.csrDer, `other-${protection}`);
    await expect(store.install(key.keyId, othersCertificate, [])).rejects.toMatchObject({
      code: 'certificate-key-mismatch',
    });
    await expect(store.install(key.keyId, Buffer.from('not a certificate'), [])).rejects.toMatchObject({
      code: 'bad-certificate',
    });
    await expect(
      store.install(key.keyId, issue(key.csrDer, `chain-${protection}`), [Buffer.of(0x30, 0x03, 0x02, 0x01)]),
    ).rejects.toMatchObject({ code: 'bad-certificate' });
    await expect(store.install('00112233445566ff', othersCertificate, [])).rejects.toMatchObject({
      code: 'no-such-key',
    });
    expect((await store.list()).map((entry) => entry.certificateDer)).toEqual([null, null]);
    await store.delete(key.keyId);
    await store.delete(other.keyId);
  }, 60_000);

  it('says the token PIN was refused, without the PIN, and refuses labels the stores cannot carry', async () => {
    const wrong = new Pkcs11DeviceKeyStore({
      modulePath,
      tokenLabel: TOKEN_LABEL,
      protection,
      tokenPin: () => Buffer.from('975318'),
    });
    const failure = await wrong.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeviceKeyError);
    expect(failure).toMatchObject({ code: 'store-pin-incorrect' });
    expect(String((failure as Error).message)).not.toContain('975318');
    for (const label of ['Agency\n[Extensions]', 'Agency"', '', ' padded', 'x'.repeat(65)]) {
      await expect(store.generateKey({ commonName: 'Pat', label })).rejects.toMatchObject({ code: 'bad-request' });
    }
    expect(await store.list()).toEqual([]);
  }, 60_000);
});

describe('NSS registration (private sql: database)', () => {
  beforeEach(() => tpm.flushTransient());

  it('lists the TPM module and the certificate on its token', async () => {
    const store = new Pkcs11DeviceKeyStore({
      modulePath: TPM2_PKCS11_MODULE,
      tokenLabel: TOKEN_LABEL,
      protection: 'tpm',
      tokenPin: pin,
    });
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    await store.install(key.keyId, issue(key.csrDer, 'nss'), [caCertificateDer()]);
    tpm.flushTransient();
    const database = { directory: join(work, 'nssdb'), env: childEnv };
    expect(await registerModuleInNss(database, TPM2_PKCS11_MODULE)).toBe('registered');
    tpm.flushTransient();
    expect(await registerModuleInNss(database, TPM2_PKCS11_MODULE)).toBe('already-registered');
    tpm.flushTransient();
    expect(await listNssModules(database)).toContain(NSS_MODULE_NAME);
    tpm.flushTransient();
    expect(await listNssCertificates(database)).toContain(`${TOKEN_LABEL}:Example Agency`);
    tpm.flushTransient();
    await store.delete(key.keyId);
  }, 60_000);
});

describe('no TPM', () => {
  it('says there is no key store when nothing answers on the TPM port', async () => {
    const saved = process.env.TPM2_PKCS11_TCTI;
    process.env.TPM2_PKCS11_TCTI = 'swtpm:host=127.0.0.1,port=9';
    try {
      const store = new Pkcs11DeviceKeyStore({
        modulePath: TPM2_PKCS11_MODULE,
        tokenLabel: TOKEN_LABEL,
        protection: 'tpm',
        tokenPin: pin,
      });
      await expect(store.generateKey({ commonName: 'Pat', label: 'Agency' })).rejects.toMatchObject({
        code: 'no-platform-store',
      });
    } finally {
      process.env.TPM2_PKCS11_TCTI = saved;
    }
  }, 60_000);
});
