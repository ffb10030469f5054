// `dck pc` when the TPM does not cooperate, as a person at their PC meets it: no TPM answering (swtpm not running),
// and a token PIN the TPM refuses. Each ends with a plain sentence, exit 1, and nothing half-done: no key, token PIN
// or state made before the failure; a removal that cannot sign revokes nothing and deletes nothing. Real parts: the
// issuer (HTTPS, SQLite), the virtual card in pcscd, tpm2-pkcs11 on a private swtpm.
// (A TPM that stops answering mid-call, swtpm paused with SIGSTOP, blocks tpm2-tss with no timeout: see
// cli/README.md "Not done".)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import { startHarness } from '../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';
import { runDckPc, storedCredential } from './pc-fixture.ts';
import type { DckResult } from './pc-fixture.ts';
import { startSoftwareTpm } from '../native/device-keys/swtpm.ts';
import type { SoftwareTpm } from '../native/device-keys/swtpm.ts';

const DEMO_PIN = '123456';

let h: IssuerHarness;
let tpm: SoftwareTpm;
let environment: PcscEnvironment;
let card: VirtualCard;
let work: string;
let env: NodeJS.ProcessEnv;
const everyOutput: string[] = [];

async function dck(args: string[], stdin = '', extraEnv: NodeJS.ProcessEnv = {}): Promise<DckResult> {
  const result = await runDckPc(args, { ...env, ...extraEnv }, stdin);
  everyOutput.push(result.stdout, result.stderr);
  return result;
}

const enrollArgs = (state: string): string[] => [
  'enroll',
  '--issuer',
  h.issuer.url,
  '--ca',
  join(work, 'issuer-tls.pem'),
  '--state',
  state,
  '--nss-db',
  'none',
  '--systemd-dir',
  join(work, 'units'),
  '--json',
];

const credentialStatus = async (serialNumberHex: string) => (await storedCredential(h, serialNumberHex))?.status;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dck-pc-faults-'));
  tpm = await startSoftwareTpm();
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  h = await startHarness();
  card = await startVirtualCard({ profile: 'p256', pki: h.pki, port: environment.vpcdPort, insert: true });
  await waitForReaderState(environment.env, environment.readerName, 'present');
  writeFileSync(join(work, 'issuer-tls.pem'), h.issuer.tlsCertificatePem);
  env = { ...environment.env, ...tpm.env, HOME: work, XDG_CONFIG_HOME: join(work, 'config') };
}, 120_000);
afterAll(async () => {
  await card.stop();
  await environment.stop();
  await h.close();
  await tpm.stop();
  rmSync(work, { recursive: true, force: true });
  expect(everyOutput.join('\n')).not.toContain(DEMO_PIN);
});
beforeEach(() => tpm.flushTransient());

describe('dck pc: the TPM does not cooperate', () => {
  it('no TPM answers (nothing listening where the TPM should be): a plain message before the card, nothing made', async () => {
    const state = join(work, 'no-tpm');
    // Port 9 (discard) on loopback: nothing listens, as on a PC whose TPM is off or absent.
    const refused = await dck(enrollArgs(state), `${DEMO_PIN}\n`, {
      TPM2_PKCS11_TCTI: 'swtpm:host=127.0.0.1,port=9',
    });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: 'no-platform-store' });
    expect((JSON.parse(refused.stdout) as { message: string }).message).toMatch(
      /^No TPM answers on this PC \(C_Initialize: CKR_\w+\)\. An organisation that allows software keys: --store software\.$/,
    );
    expect(existsSync(join(state, 'token-pin'))).toBe(false);
    expect(existsSync(join(state, 'state.json'))).toBe(false);
  }, 120_000);

  it('a token PIN the TPM refuses: remove says so, revokes nothing and deletes nothing; with the right PIN it goes', async () => {
    const state = join(work, 'wrong-pin');
    const enrolled = await dck(enrollArgs(state), `${DEMO_PIN}\n`);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const { serialNumberHex } = JSON.parse(enrolled.stdout) as { serialNumberHex: string };
    const pinFile = join(state, 'token-pin');
    const rightPin = readFileSync(pinFile);
    writeFileSync(pinFile, 'ffffffffffffffff', { mode: 0o600 });

    tpm.flushTransient();
    const refused = await dck(['remove', '--state', state, '--nss-db', 'none', '--systemd-dir', join(work, 'units')]);
    expect(refused.code).toBe(1);
    // The last line is ours (tpm2-pkcs11 writes its own ERROR lines to standard error before it: cli/README.md).
    expect(refused.stderr.trimEnd().split('\n').at(-1)).toBe(
      "dck pc: This PC's key store refused its PIN (C_Login: CKR_PIN_INCORRECT). This PC's credential was not removed.",
    );
    expect(refused.stderr).not.toContain('ffffffffffffffff');
    expect(await credentialStatus(serialNumberHex)).toBe('active');
    expect(existsSync(join(state, 'state.json'))).toBe(true);

    writeFileSync(pinFile, rightPin, { mode: 0o600 });
    tpm.flushTransient();
    const removed = await dck(['remove', '--state', state, '--nss-db', 'none', '--systemd-dir', join(work, 'units')]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await credentialStatus(serialNumberHex)).toBe('revoked');
  }, 120_000);
});
