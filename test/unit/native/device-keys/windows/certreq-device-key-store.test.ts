// The Windows driver's logic against a FAKE Windows (fake-windows-commands.ts): generate → CSR → install → list →
// delete, and the faults (no TPM, a bad request, a certificate for another key, a chain store refusing) leaving
// nothing half-done. The real certreq runs only on Windows (native/device-keys/README.md: what a tester runs).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeEach, describe, expect, it } from 'vitest';
import { CertreqDeviceKeyStore } from '../../../../../native/device-keys/windows/certreq-device-key-store.ts';
import { FakeWindowsCommands } from './fake-windows-commands.ts';

const crypto = webcrypto as unknown as Crypto;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
let ca: { keys: CryptoKeyPair; certificate: x509.X509Certificate };

async function issue(csrDer: Uint8Array): Promise<Uint8Array> {
  ca ??= await (async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    return {
      keys,
      certificate: await x509.X509CertificateGenerator.createSelfSigned(
        { name: 'CN=Test Derived CA', keys, signingAlgorithm, serialNumber: '0a' },
        crypto,
      ),
    };
  })();
  const csr = new x509.Pkcs10CertificateRequest(Buffer.from(csrDer));
  const certificate = await x509.X509CertificateGenerator.create(
    {
      subject: 'CN=Pat Example',
      issuer: ca.certificate.subject,
      publicKey: csr.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm,
      serialNumber: Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    },
    crypto,
  );
  return new Uint8Array(certificate.rawData);
}

let windows: FakeWindowsCommands;
let store: CertreqDeviceKeyStore;
beforeEach(() => {
  windows = new FakeWindowsCommands();
  store = new CertreqDeviceKeyStore('tpm', windows);
});

describe('certreq device key store (FAKE Windows)', () => {
  it('makes the key in the Platform Crypto Provider and returns a request that verifies', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    expect(await new x509.Pkcs10CertificateRequest(Buffer.from(key.csrDer)).verify()).toBe(true);
    expect(windows.keys.get(`dck-${key.keyId}`)).toBe('Microsoft Platform Crypto Provider');
    expect(await store.list()).toEqual([
      { keyId: key.keyId, label: 'Example Agency', protection: 'tpm', certificateDer: null },
    ]);
  });

  it('installs the certificate bound to its key and the chain, lists it, and deletes key and certificate', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    const certificate = await issue(key.csrDer);
    await store.install(key.keyId, certificate, [new Uint8Array(ca.certificate.rawData)]);
    const [credential] = await store.list();
    expect(Buffer.from(credential?.certificateDer ?? []).equals(Buffer.from(certificate))).toBe(true);
    expect(windows.stores.CA).toHaveLength(1);
    await store.delete(key.keyId);
    expect(await store.list()).toEqual([]);
    expect(windows.keys.size).toBe(0);
    await expect(store.delete(key.keyId)).rejects.toMatchObject({ code: 'no-such-key' });
  });

  it("signs with the key in its provider (r ‖ s over SHA-256, verifiable with the request's key); a deleted or foreign key id signs nothing", async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    const message = new TextEncoder().encode('DCK PC-REVOKE v1');
    const signature = await store.sign(key.keyId, message);
    const publicKey = await new x509.Pkcs10CertificateRequest(Buffer.from(key.csrDer)).publicKey.export(crypto);
    expect(await crypto.subtle.verify(signingAlgorithm, publicKey, Buffer.from(signature), message)).toBe(true);
    const script = windows.calls.at(-1)?.args.at(-1) ?? '';
    expect(script).toContain(
      `'dck-${key.keyId}', [System.Security.Cryptography.CngProvider]::new('Microsoft Platform Crypto Provider')`,
    );
    await expect(store.sign("0123456789abcdef'; Remove-Item", message)).rejects.toMatchObject({ code: 'no-such-key' });
    await store.delete(key.keyId);
    await expect(store.sign(key.keyId, message)).rejects.toMatchObject({ code: 'no-such-key' });
  });

  it('says there is no TPM, and leaves no key, when the provider is not ready', async () => {
    windows.tpmReady = false;
    const failure = await store.generateKey({ commonName: 'Pat', label: 'Agency' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'no-platform-store', detail: 'certreq -new: 0x80090030' });
    expect(windows.keys.size).toBe(0);
  });

  it('answers whether the TPM provider is there before anything is made (certutil -key)', async () => {
    expect(await store.available()).toBe(true);
    windows.tpmReady = false;
    expect(await store.available()).toBe(false);
    expect(await new CertreqDeviceKeyStore('software', windows).available()).toBe(true);
    expect(windows.calls.map((call) => call.program)).toEqual(['certutil', 'certutil', 'certutil']);
    expect(windows.keys.size).toBe(0);
  });

  it('deletes the key when the request it wrote is not valid', async () => {
    windows.corruptRequest = true;
    await expect(store.generateKey({ commonName: 'Pat', label: 'Agency' })).rejects.toMatchObject({
      code: 'store-failed',
    });
    expect(windows.keys.size).toBe(0);
    expect(windows.stores.REQUEST).toEqual([]);
  });

  it('refuses a certificate for another pending key, and bytes that are no certificate', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    const other = await store.generateKey({ commonName: 'Someone Else', label: 'Example Agency' });
    await expect(store.install(key.keyId, await issue(other.csrDer), [])).rejects.toMatchObject({
      code: 'certificate-key-mismatch',
    });
    await expect(store.install(key.keyId, Buffer.from('not a certificate'), [])).rejects.toMatchObject({
      code: 'bad-certificate',
    });
    expect(windows.stores.My).toEqual([]);
    expect(windows.calls.some(({ program, args }) => program === 'certreq' && args[0] === '-accept')).toBe(false);
  });

  it('takes the certificate out again when the chain cannot be installed', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    windows.addStoreFails = true;
    await expect(
      store.install(key.keyId, await issue(key.csrDer), [new Uint8Array(ca.certificate.rawData)]),
    ).rejects.toMatchObject({ code: 'store-failed' });
    expect(windows.stores.My).toEqual([]);
  });

  it('runs every program without a shell and every file in a private directory', async () => {
    await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    const [certreq] = windows.calls.filter(({ program }) => program === 'certreq');
    expect(certreq?.args.slice(0, 3)).toEqual(['-new', '-q', '-user']);
    expect(certreq?.args[3]).toMatch(/dck-certreq-[^/\\]+[/\\]request\.inf$/u);
  });
});
