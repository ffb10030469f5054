// `dck pc status` online: besides this PC's own record, the issuer's word on the credential (GET
// /credentials/:serial/status): good, suspended, revoked; and a clear line, with the offline answer still shown, when
// the issuer cannot be asked. A real issuer on loopback (HTTPS, SQLite), the virtual card in a private pcscd reader
// for the enrollment, and a SoftHSM2 token (`--store software`, no TPM needed for what this test is about).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  resumeDerivedCredential,
  revokeDerivedCredential,
  suspendDerivedCredential,
} from '../../../issuer/lifecycle/credential-state.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import { startHarness } from '../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';

const admin = { kind: 'admin', id: 'test admin' } as const;
let h: IssuerHarness;
let environment: PcscEnvironment;
let card: VirtualCard;
let work: string;
let env: NodeJS.ProcessEnv;
let serial: string;

function dck(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dck.js', 'pc', ...args], { env, cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const stateDir = (): string => join(work, 'state');
const status = (json = false) => dck(['status', '--state', stateDir(), ...(json ? ['--json'] : [])]);
const lifecycle = () => ({ storage: h.issuer.storage, now: () => new Date(), afterRevocationChange: () => undefined });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dck-pc-status-'));
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  h = await startHarness();
  card = await startVirtualCard({ profile: 'p256', pki: h.pki, port: environment.vpcdPort, insert: true });
  await waitForReaderState(environment.env, environment.readerName, 'present');
  writeFileSync(join(work, 'issuer-tls.pem'), h.issuer.tlsCertificatePem);
  // The CLI makes its own SoftHSM2 configuration under the state directory when none is given.
  const { SOFTHSM2_CONF: _unused, ...rest } = environment.env;
  env = { ...rest, HOME: work, XDG_CONFIG_HOME: join(work, 'config') };
  const enrolled = await dck(
    [
      'enroll',
      '--store',
      'software',
      '--issuer',
      h.issuer.url,
      '--ca',
      join(work, 'issuer-tls.pem'),
      '--state',
      stateDir(),
      '--nss-db',
      'none',
      '--systemd-dir',
      join(work, 'units'),
    ],
    '123456\n',
  );
  if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}`);
  serial = (
    JSON.parse(readFileSync(join(stateDir(), 'state.json'), 'utf8')) as { credential: { serialNumberHex: string } }
  ).credential.serialNumberHex;
}, 120_000);

afterAll(async () => {
  await card.stop();
  await environment.stop();
  await h.close();
  rmSync(work, { recursive: true, force: true });
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
