// `dck pc` and what a silent TPM can leave behind (native/device-keys/store-process.ts): the token's first set-up
// runs under the same deadline as every key call (a paused TPM ends in a plain sentence in time, with no token PIN,
// no token and the state file as it was), and a key a cut-off run left without its certificate is swept by the next
// enrollment or renewal, which says so; keys with a certificate stay. Real parts: the issuer (HTTPS, SQLite), the
// virtual card in pcscd, tpm2-pkcs11 on a private swtpm (paused with SIGSTOP: tpm2-tss has no timeout of its own).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAULT_HOOK_ENV, TOKEN_SETUP_CUT } from '../../../native/device-keys/device-token.ts';
import type { DeviceCredential } from '../../../native/device-keys/index.ts';
import { TPM2_PKCS11_MODULE } from '../../../native/device-keys/index.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { enrollArgs, startPcBench } from './pc-fixture.ts';
import type { DckResult, PcBench } from './pc-fixture.ts';

let bench: PcBench;

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-leftovers-', card: true, tpm: true });
}, 120_000);
afterAll(async () => {
  bench.tpm?.resume();
  await bench.stop();
  expect(bench.printed.join('\n')).not.toContain(DEMO_PIN);
});
beforeEach(() => bench.flushTpm());

/** The state's token PIN, as `dck pc` wrote it. */
const tokenPinOf = (state: string) => (): Buffer => readFileSync(join(state, 'token-pin'));

/** The tokens of a store as `pkcs11-tool -L` lists them (label and flags; no PIN needed). */
const tokenList = (storeEnv: NodeJS.ProcessEnv): string =>
  execFileSync('pkcs11-tool', ['--module', TPM2_PKCS11_MODULE, '-L'], {
    env: { ...bench.env, ...storeEnv },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });

const withoutCertificate = (keys: readonly DeviceCredential[]): string[] =>
  keys.filter((key) => key.certificateDer === null).map((key) => key.keyId);

describe('dck pc: what a silent TPM leaves behind', () => {
  it('the TPM silent at the first set-up: "The TPM did not answer" in time, no token PIN, state as it was; then it works', async () => {
    const state = join(bench.work, 'init-paused');
    const store = bench.ownTokenStore('init-paused-store');
    // A state left by an earlier refused attempt (this PC's id, no credential): the failed set-up must keep it.
    mkdirSync(state, { recursive: true });
    const earlier = {
      version: 1,
      issuerUrl: bench.h.issuer.url,
      caFile: bench.caFile,
      deviceId: 'pc-0123456789abcdef',
      store: 'tpm',
      label: 'Derived Credential',
      credential: null,
      retiring: [],
    };
    writeFileSync(join(state, 'state.json'), `${JSON.stringify(earlier)}\n`, { mode: 0o600 });
    const stateBefore = readFileSync(join(state, 'state.json'));

    const tpm = bench.tpm;
    if (tpm === null) throw new Error('the bench was started with a TPM');
    tpm.pause();
    let cutOff: DckResult;
    const started = Date.now();
    try {
      cutOff = await bench.dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, {
        ...store.env,
        DCK_PC_TPM_DEADLINE_SECONDS: '3',
      });
    } finally {
      tpm.resume();
    }
    // The deadline, the child's start (tsx: 1–5 s on a loaded machine) and Node's own: never the TPM's silence.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(cutOff.code).toBe(1);
    expect(JSON.parse(cutOff.stdout)).toEqual({
      error: 'no-platform-store',
      message:
        'The TPM did not answer (initializeToken: no answer in 3 s). Try again; if it happens again, restart this PC.',
    });
    expect(existsSync(join(state, 'token-pin'))).toBe(false);
    expect(readFileSync(join(state, 'state.json'))).toEqual(stateBefore);

    // Nothing half-made: the next run sets the token up and enrolls (a half-made token would be one "whose PIN this
    // app does not hold"), keeping this PC's id.
    bench.flushTpm();
    const enrolled = await bench.dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, store.env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as {
      deviceId: string;
      credential: { keyId: string } | null;
    };
    expect(after.deviceId).toBe(earlier.deviceId);
    expect(after.credential?.keyId).toMatch(/^[0-9a-f]{16}$/);
  }, 180_000);

  it('a set-up cut between C_InitToken and C_InitPIN: the next run finishes that token with the kept PINs, says so, and enrolls', async () => {
    const state = join(bench.work, 'setup-cut');
    const store = bench.ownTokenStore('setup-cut-store');
    // The FAULT HOOK ends the set-up's process right after C_InitToken, as a power cut or a kill would there.
    const cut = await bench.dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, {
      ...store.env,
      [FAULT_HOOK_ENV]: TOKEN_SETUP_CUT,
    });
    expect(cut.code).toBe(1);
    expect(existsSync(join(state, 'token-pin'))).toBe(false);
    expect(existsSync(join(state, 'state.json'))).toBe(false);
    // What the cut leaves: the token made (C_InitToken ran), its user PIN never set (tpm2-pkcs11's flags do not say
    // so), and the set-up's PINs kept for the next run, private to the user.
    bench.flushTpm();
    expect(tokenList(store.env)).toMatch(/token label +: dck this pc\n/);
    expect(statSync(join(state, 'token-setup')).mode & 0o777).toBe(0o600);

    bench.flushTpm();
    const enrolled = await bench.dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, store.env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(enrolled.stderr).toContain(
      "dck pc: Finished setting up this PC's key store, which an earlier attempt left half done.",
    );
    const { keyId } = JSON.parse(enrolled.stdout) as { keyId: string };
    // A working token: its PIN is the one kept, it holds the credential's key and certificate; the SO PIN is gone.
    expect(existsSync(join(state, 'token-setup'))).toBe(false);
    bench.flushTpm();
    const keys = await store.listKeys(tokenPinOf(state));
    expect(keys.map((key) => [key.keyId, key.certificateDer !== null])).toEqual([[keyId, true]]);
  }, 240_000);

  it('a key an earlier run left without its certificate: the next renewal removes it and says so; the credential stays', async () => {
    const state = join(bench.work, 'leftover');
    const store = bench.ownTokenStore('leftover-store');
    const enrolled = await bench.dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, store.env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    // What a run cut off while the TPM stayed silent through its clean-up leaves: a key, no certificate.
    bench.flushTpm();
    const leftover = await store.withKeys(tokenPinOf(state), (keys) =>
      keys.generateKey({ commonName: 'pc-0123456789abcdef', label: 'Derived Credential' }),
    );
    bench.flushTpm();
    expect(withoutCertificate(await store.listKeys(tokenPinOf(state)))).toEqual([leftover.keyId]);

    bench.flushTpm();
    const renewed = await bench.dck(['renew', '--state', state, '--json'], `${DEMO_PIN}\n`, store.env);
    expect(renewed.code, renewed.stderr).toBe(0);
    const answer = JSON.parse(renewed.stdout) as { keyId: string; messages: string[] };
    expect(answer.messages).toContain('Removed an unfinished key from an earlier attempt.');

    bench.flushTpm();
    const keys = await store.listKeys(tokenPinOf(state));
    expect(withoutCertificate(keys)).toEqual([]);
    expect(keys.map((key) => key.keyId)).toEqual([answer.keyId]);

    // Nothing left to sweep: the next run says nothing of it.
    bench.flushTpm();
    const again = await bench.dck(['renew', '--state', state, '--json'], `${DEMO_PIN}\n`, store.env);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { messages: string[] }).messages.join(' ')).not.toContain('unfinished');
  }, 240_000);
});
