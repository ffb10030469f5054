// `dck pc status` online: besides this PC's own record, the issuer's word on the credential (GET
// /credentials/:serial/status): good, suspended, revoked; and a clear line, with the offline answer still shown, when
// the issuer cannot be asked. A real issuer on loopback (HTTPS, SQLite), the virtual card in a private pcscd reader
// for the enrollment, and a SoftHSM2 token (`--store software`, no TPM needed for what this test is about).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  resumeDerivedCredential,
  revokeDerivedCredential,
  suspendDerivedCredential,
} from '../../../issuer/lifecycle/credential-state.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { enrollArgs, startPcBench } from './pc-fixture.ts';
import type { PcBench } from './pc-fixture.ts';

const admin = { kind: 'admin', id: 'test admin' } as const;
let bench: PcBench;
let serial: string;

const stateDir = (): string => join(bench.work, 'state');
const status = (json = false) => bench.dck(['status', '--state', stateDir(), ...(json ? ['--json'] : [])]);
const lifecycle = () => ({
  storage: bench.h.issuer.storage,
  now: () => new Date(),
  afterRevocationChange: () => undefined,
});

beforeAll(async () => {
  // The CLI makes its own SoftHSM2 configuration under the state directory when none is given.
  bench = await startPcBench({ name: 'dck-pc-status-', card: true, softhsm: 'cli' });
  const enrolled = await bench.dck(enrollArgs(bench, stateDir(), { store: 'software' }), `${DEMO_PIN}\n`);
  if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}`);
  serial = (
    JSON.parse(readFileSync(join(stateDir(), 'state.json'), 'utf8')) as { credential: { serialNumberHex: string } }
  ).credential.serialNumberHex;
}, 120_000);

afterAll(async () => {
  await bench.stop();
  expect(bench.printed.join('\n')).not.toContain(DEMO_PIN);
});

describe('dck pc status asks the issuer', () => {
  it('a good credential: the local facts, then "the issuer says it is good"', async () => {
    const shown = await status();
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^This PC is set up\. Its credential expires \d{4}-\d{2}-\d{2}; renewal is due/);
    expect(shown.stdout).toContain('The issuer says it is good (active).');
    expect(JSON.parse((await status(true)).stdout)).toMatchObject({ installed: true, issuer: { state: 'active' } });
  }, 60_000);

  it('suspended, then revoked: the issuer says so, and status fails', async () => {
    await suspendDerivedCredential(lifecycle(), serial, admin, 'holder on leave');
    const suspended = await status();
    expect(suspended.code).toBe(1);
    expect(suspended.stdout).toContain('The issuer has suspended it: it does not work until the help desk resumes it.');
    await resumeDerivedCredential(lifecycle(), serial, admin, 'back');
    expect((await status()).code).toBe(0);

    await revokeDerivedCredential(lifecycle(), serial, 'keyCompromise', admin, 'PC stolen');
    const revoked = await status();
    expect(revoked.code).toBe(1);
    expect(revoked.stdout).toContain('The issuer has revoked it: it no longer works.');
    expect(JSON.parse((await status(true)).stdout)).toMatchObject({ issuer: { state: 'revoked' } });
  }, 60_000);

  it('the issuer unreachable: the offline answer is still shown, with a line that says the issuer was not asked', async () => {
    const file = join(stateDir(), 'state.json');
    const saved = readFileSync(file, 'utf8');
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const state = JSON.parse(saved) as { issuerUrl: string };
    writeFileSync(file, JSON.stringify({ ...state, issuerUrl: 'https://127.0.0.1:1' }));
    try {
      const shown = await status();
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^This PC is set up\. Its credential expires/);
      expect(shown.stdout).toMatch(/The issuer could not be asked \(.+\): the above is this PC's own record\./);
      expect(JSON.parse((await status(true)).stdout)).toMatchObject({
        installed: true,
        issuer: { state: 'unreachable' },
      });
    } finally {
      writeFileSync(file, saved);
    }
  }, 60_000);
});
