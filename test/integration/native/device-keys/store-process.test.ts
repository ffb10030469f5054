// The device key store behind a deadline (native/device-keys/store-process.ts) on tpm2-pkcs11 and a private swtpm:
// it answers as the in-process store does, and when the TPM stops answering (swtpm paused with SIGSTOP) the call
// ends in "The TPM did not answer" instead of blocking for good, leaves no key behind, and the next call works once
// the TPM is back. (The in-process store, Pkcs11DeviceKeyStore, blocks the calling thread for as long as the TPM is
// paused: tpm2-tss has no timeout.)
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initializeDeviceToken, Pkcs11StoreProcess, TPM2_PKCS11_MODULE } from '../../../../native/device-keys/index.ts';
import { startSoftwareTpm } from './swtpm.ts';
import type { SoftwareTpm } from './swtpm.ts';

const TOKEN_LABEL = 'dck this pc';
const USER_PIN = '246810';
const pin = (): Buffer => Buffer.from(USER_PIN);
const DEADLINE_MS = 3_000;

let tpm: SoftwareTpm;
let store: Pkcs11StoreProcess;

beforeAll(async () => {
  tpm = await startSoftwareTpm();
  expect(initializeDeviceToken(TPM2_PKCS11_MODULE, TOKEN_LABEL, Buffer.from('13579111'), pin())).toBe('initialised');
  tpm.flushTransient();
  store = new Pkcs11StoreProcess({
    modulePath: TPM2_PKCS11_MODULE,
    tokenLabel: TOKEN_LABEL,
    protection: 'tpm',
    tokenPin: pin,
    deadlineMs: DEADLINE_MS,
  });
}, 60_000);
afterAll(async () => {
  tpm?.resume();
  await tpm?.stop();
});

const verifies = (spki: Uint8Array, message: Buffer, signature: Uint8Array): boolean =>
  verify(
    'sha256',
    message,
    { key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), dsaEncoding: 'ieee-p1363' },
    signature,
  );

describe('the device key store in a child process, under a deadline', () => {
  it('generates, signs, lists and deletes as the in-process store does', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    expect(key.protection).toBe('tpm');
    expect(key.keyId).toMatch(/^[0-9a-f]{16}$/);
    tpm.flushTransient();
    const message = Buffer.from('revoke this PC');
    expect(verifies(key.publicKeySpkiDer, message, await store.sign(key.keyId, message))).toBe(true);
    tpm.flushTransient();
    expect(await store.list()).toEqual([
      { keyId: key.keyId, label: 'Example Agency', protection: 'tpm', certificateDer: null },
    ]);
    tpm.flushTransient();
    await store.delete(key.keyId);
    tpm.flushTransient();
    await expect(store.sign(key.keyId, message)).rejects.toMatchObject({ code: 'no-such-key' });
    tpm.flushTransient();
  }, 60_000);

  it('a TPM that stops answering: "The TPM did not answer", no key left, and the next call works when it is back', async () => {
    const key = await store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' });
    tpm.flushTransient();
    const message = Buffer.from('revoke this PC');

    tpm.pause();
    try {
      await expect(store.sign(key.keyId, message)).rejects.toMatchObject({
        code: 'store-no-answer',
        message: `The TPM did not answer (sign: no answer in ${DEADLINE_MS / 1000} s)`,
      });
      await expect(store.generateKey({ commonName: 'Pat Example', label: 'Example Agency' })).rejects.toMatchObject({
        code: 'store-no-answer',
      });
    } finally {
      tpm.resume();
    }
    tpm.flushTransient();

    // The generation cut off left nothing on the token; the key made before works as it did.
    expect((await store.list()).map((entry) => entry.keyId)).toEqual([key.keyId]);
    tpm.flushTransient();
    expect(verifies(key.publicKeySpkiDer, message, await store.sign(key.keyId, message))).toBe(true);
    tpm.flushTransient();
    await store.delete(key.keyId);
    tpm.flushTransient();
  }, 90_000);
});
