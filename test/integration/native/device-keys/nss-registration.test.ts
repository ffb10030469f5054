// NSS's tools under the TPM deadline (native/device-keys/nss-registration.ts): `modutil` and `certutil` load every
// module registered in the database, so with tpm2-pkcs11 registered and the TPM silent (a private swtpm paused with
// SIGSTOP) they waited for good. Now a tool not done by the deadline is killed and the call ends in
// `store-no-answer`, in time; the registration itself, with the TPM answering again, works as before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initializeDeviceToken,
  listNssModules,
  NSS_MODULE_NAME,
  registerModuleInNss,
  TPM2_PKCS11_MODULE,
} from '../../../../native/device-keys/index.ts';
import { startSoftwareTpm } from './swtpm.ts';
import type { SoftwareTpm } from './swtpm.ts';

const DEADLINE_MS = 2_000;
let tpm: SoftwareTpm;
let work: string;

beforeAll(async () => {
  tpm = await startSoftwareTpm();
  work = mkdtempSync(join(tmpdir(), 'dck-nss-deadline-'));
  expect(initializeDeviceToken(TPM2_PKCS11_MODULE, 'dck this pc', Buffer.from('13579111'), Buffer.from('246810'))).toBe(
    'initialised',
  );
  tpm.flushTransient();
}, 60_000);
afterAll(async () => {
  tpm?.resume();
  await tpm?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('NSS tools under the TPM deadline', () => {
  it('a silent TPM: the tool is killed at the deadline and the call says the TPM did not answer', async () => {
    const database = { directory: join(work, 'nssdb'), env: { ...process.env, ...tpm.env }, deadlineMs: DEADLINE_MS };
    expect(await registerModuleInNss(database, TPM2_PKCS11_MODULE)).toBe('registered');
    tpm.flushTransient();

    tpm.pause();
    const started = Date.now();
    try {
      await expect(listNssModules(database)).rejects.toMatchObject({
        code: 'store-no-answer',
        message: `The TPM did not answer (modutil: no answer in ${DEADLINE_MS / 1000} s)`,
      });
    } finally {
      tpm.resume();
    }
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 5_000);
    tpm.flushTransient();
    expect(await listNssModules(database)).toContain(NSS_MODULE_NAME);
    tpm.flushTransient();
  }, 60_000);
});
