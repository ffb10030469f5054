// One `dck pc` run at a time per PC (main/this-pc/pc-lock.ts): a second run started while the first waits for its
// certificate (its key made, no certificate yet: exactly what a sweep of unfinished keys removes) ends at once with
// "Another enrollment on this PC is under way", exit 3, and touches nothing: the first run's key is not swept and its
// enrollment ends well. A lock left by a run that died is taken over, and the run says so. Real parts: the issuer
// (HTTPS, SQLite), the virtual card in pcscd, tpm2-pkcs11 on a private swtpm; the first run is `dck pc enroll`'s own
// steps in this process (main/this-pc/pc-setup.ts, signed in over the issuer's routes as the Windows tests do), the
// second the real command in a child process. The first run reaches the issuer through a loopback proxy that holds
// its certificate request until the second run has ended: nothing here blocks this process, which serves the card
// and the issuer to both runs (a synchronous wait on the second run once could wait on this very process).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enrollHere } from '../../../main/this-pc/pc-setup.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { startLoopbackProxy } from '../phone/loopback-proxy.ts';
import { enrollArgs, startPcBench, testCardSignIn } from './pc-fixture.ts';
import type { DckResult, PcBench } from './pc-fixture.ts';

let bench: PcBench;

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-lock-', card: true, tpm: true });
}, 120_000);
afterAll(async () => {
  await bench.stop();
  expect(bench.printed.join('\n')).not.toContain(DEMO_PIN);
});
beforeEach(() => bench.flushTpm());

const tokenPinOf = (state: string) => (): Buffer => readFileSync(join(state, 'token-pin'));

describe('dck pc: one run at a time on this PC', () => {
  it('a second run while the first waits for its certificate: refused at once with the sentence; the first run’s key stays and it ends well', async () => {
    const state = join(bench.work, 'two-runs');
    const store = bench.ownTokenStore('two-runs-store');
    const proxy = await startLoopbackProxy();
    proxy.forwardTo(Number(new URL(bench.h.issuer.url).port));
    const sharedStore = process.env.TPM2_PKCS11_STORE;
    process.env.TPM2_PKCS11_STORE = store.directory;
    // Set inside the step callback (an object: TypeScript does not follow assignments made in callbacks).
    const runs: { second: Promise<DckResult> | null } = { second: null };
    try {
      const first = await enrollHere(
        { windows: null, signIn: () => testCardSignIn(bench.h) },
        {
          dir: state,
          issuerUrl: proxy.url,
          caFile: bench.caFile,
          protection: 'tpm',
          nssDb: 'none',
          systemdDir: bench.unitsDir,
          // The first run's key is made and the issuer not asked yet: its request waits at the proxy while the second
          // run, as a second terminal's would, runs to its end.
          onStep: (step) => {
            if (step !== 'issuing' || runs.second !== null) return;
            proxy.hold();
            bench.flushTpm();
            runs.second = bench
              .dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, store.env)
              .finally(() => {
                bench.flushTpm();
                proxy.release();
              });
          },
        },
      );
      expect(first.ok, first.ok ? '' : first.error.message).toBe(true);
      if (!first.ok) return;
      if (runs.second === null) throw new Error('the second run did not start');
      const ran = await runs.second;
      expect(`${ran.stdout}${ran.stderr}`).not.toContain(DEMO_PIN);
      expect(ran.code).toBe(3);
      const answer = JSON.parse(ran.stdout) as { error: string; message: string };
      expect(answer.error).toBe('another-run');
      expect(answer.message).toMatch(
        new RegExp(
          `^Another enrollment on this PC is under way \\(pid ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\)\\. Wait for it to finish, then try again\\.$`,
        ),
      );
      expect(Object.keys(answer)).toEqual(['error', 'message']);
      bench.flushTpm();
      const keys = (await store.listKeys(tokenPinOf(state))).map((key) => key.keyId);
      expect(keys).toEqual([first.value.credential.keyId]);
      const saved = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { credential: { keyId: string } };
      expect(saved.credential.keyId).toBe(first.value.credential.keyId);
      expect(existsSync(join(state, 'lock'))).toBe(false);
    } finally {
      proxy.release();
      await proxy.close();
      if (sharedStore === undefined) delete process.env.TPM2_PKCS11_STORE;
      else process.env.TPM2_PKCS11_STORE = sharedStore;
    }
  }, 180_000);

  it('a lock left by a run that died is taken over, said on standard error; the enrollment ends well', async () => {
    const state = join(bench.work, 'stale');
    const store = bench.ownTokenStore('stale-store');
    const ended = spawnSync(process.execPath, ['-e', '']);
    mkdirSync(state, { recursive: true, mode: 0o700 });
    const startedAt = '2026-12-06T09:30:00.000Z';
    writeFileSync(join(state, 'lock'), JSON.stringify({ pid: ended.pid, host: hostname(), startedAt }), {
      mode: 0o600,
    });
    const enrolled = await bench.dck(enrollArgs(bench, state, { json: true }), `${DEMO_PIN}\n`, store.env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    expect(enrolled.stderr).toContain(
      `dck pc: Took over the lock of an earlier run that is no longer running (pid ${ended.pid}, started ${startedAt}).`,
    );
    expect((JSON.parse(enrolled.stdout) as { keyId: string }).keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(existsSync(join(state, 'lock'))).toBe(false);
  }, 180_000);
});
