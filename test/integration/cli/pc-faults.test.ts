// `dck pc` when the TPM does not cooperate, as a person at their PC meets it: no TPM answering (swtpm not running),
// and a token PIN the TPM refuses. Each ends with a plain sentence, exit 1, and nothing half-done: no key, token PIN
// or state made before the failure; a removal that cannot sign revokes nothing and deletes nothing. Real parts: the
// issuer (HTTPS, SQLite), the virtual card in pcscd, tpm2-pkcs11 on a private swtpm.
// A TPM that stops answering mid-run (swtpm paused with SIGSTOP; tpm2-tss has no timeout) is cut off by the key
// store's deadline (native/device-keys/store-process.ts): a plain sentence, the state file as it was, no key left.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { enrollArgs, removeArgs, startPcBench, storedCredential } from './pc-fixture.ts';
import type { DckResult, PcBench } from './pc-fixture.ts';

let bench: PcBench;

const enroll = (state: string): string[] => enrollArgs(bench, state, { json: true });
const credentialStatus = async (serialNumberHex: string) => (await storedCredential(bench.h, serialNumberHex))?.status;

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-faults-', card: true, tpm: true });
}, 120_000);
afterAll(async () => {
  await bench.stop();
  expect(bench.printed.join('\n')).not.toContain(DEMO_PIN);
});
beforeEach(() => bench.flushTpm());

describe('dck pc: the TPM does not cooperate', () => {
  it('no TPM answers (nothing listening where the TPM should be): a plain message before the card, nothing made', async () => {
    const state = join(bench.work, 'no-tpm');
    // Port 9 (discard) on loopback: nothing listens, as on a PC whose TPM is off or absent.
    const refused = await bench.dck(enroll(state), `${DEMO_PIN}\n`, {
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
    const state = join(bench.work, 'wrong-pin');
    const enrolled = await bench.dck(enroll(state), `${DEMO_PIN}\n`);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const { serialNumberHex } = JSON.parse(enrolled.stdout) as { serialNumberHex: string };
    const pinFile = join(state, 'token-pin');
    const rightPin = readFileSync(pinFile);
    writeFileSync(pinFile, 'ffffffffffffffff', { mode: 0o600 });

    bench.flushTpm();
    const refused = await bench.dck(removeArgs(bench, state));
    expect(refused.code).toBe(1);
    // The last line is ours (tpm2-pkcs11 writes its own ERROR lines to standard error before it: cli/README.md).
    expect(refused.stderr.trimEnd().split('\n').at(-1)).toBe(
      "dck pc: This PC's key store refused its PIN (C_Login: CKR_PIN_INCORRECT). This PC's credential was not removed.",
    );
    expect(refused.stderr).not.toContain('ffffffffffffffff');
    expect(await credentialStatus(serialNumberHex)).toBe('active');
    expect(existsSync(join(state, 'state.json'))).toBe(true);

    writeFileSync(pinFile, rightPin, { mode: 0o600 });
    bench.flushTpm();
    const removed = await bench.dck(removeArgs(bench, state));
    expect(removed.code, removed.stderr).toBe(0);
    expect(await credentialStatus(serialNumberHex)).toBe('revoked');
  }, 120_000);

  it('a TPM that stops answering mid-renewal: "The TPM did not answer", state untouched, no key left; the next run works', async () => {
    const state = join(bench.work, 'paused');
    // A token of its own (the earlier tests' token keeps its own PIN).
    const store = bench.ownTokenStore('paused-store');
    const enrolled = await bench.dck(enroll(state), `${DEMO_PIN}\n`, store.env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const { serialNumberHex } = JSON.parse(enrolled.stdout) as { serialNumberHex: string };
    const stateBefore = readFileSync(join(state, 'state.json'));
    const renewArgs = ['renew', '--state', state, '--json'];

    const tpm = bench.tpm;
    if (tpm === null) throw new Error('the bench was started with a TPM');
    bench.flushTpm();
    tpm.pause(); // after the card: the first thing renew asks the TPM is the new key
    let cutOff: DckResult;
    try {
      cutOff = await bench.dck(renewArgs, `${DEMO_PIN}\n`, { ...store.env, DCK_PC_TPM_DEADLINE_SECONDS: '3' });
    } finally {
      tpm.resume();
    }
    expect(cutOff.code).toBe(1);
    expect(JSON.parse(cutOff.stdout)).toEqual({
      error: 'no-platform-store',
      message:
        'The TPM did not answer (generateKey: no answer in 3 s). Try again; if it happens again, restart this PC.',
    });
    expect(readFileSync(join(state, 'state.json'))).toEqual(stateBefore);
    expect(await credentialStatus(serialNumberHex)).toBe('active');

    bench.flushTpm();
    const keys = await store.listKeys(() => readFileSync(join(state, 'token-pin')));
    expect(keys.every((key) => key.certificateDer !== null)).toBe(true);

    bench.flushTpm();
    const renewed = await bench.dck(renewArgs, `${DEMO_PIN}\n`, store.env);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(await credentialStatus(serialNumberHex)).toBe('revoked');
  }, 180_000);
});
