// `dck pc` as a person at their own PC runs it: a real issuer on loopback (HTTPS, SQLite), the project's virtual PIV
// card in a real pcscd reader (PIN on stdin), tpm2-pkcs11 on a private swtpm, NSS tools on a private database, the
// systemd units in a private directory. The proof of issue 14: the key is never extractable, the certificate
// chains to the issuer's CA with the derived policy, NSS sees the module and the certificate, and after
// `dck pc remove` the issuer's CRL lists it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  listNssCertificates,
  listNssModules,
  NSS_MODULE_NAME,
  TPM2_PKCS11_MODULE,
} from '../../../native/device-keys/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import { startHarness } from '../issuer/issuer-fixture.ts';
import { opensslVerify, relyingPartyFiles } from '../issuer/lifecycle/lifecycle-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';
import { startSoftwareTpm } from '../native/device-keys/swtpm.ts';
import type { SoftwareTpm } from '../native/device-keys/swtpm.ts';

const DEMO_PIN = '123456';
const DERIVED_PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.40';

let h: IssuerHarness;
let tpm: SoftwareTpm;
let environment: PcscEnvironment;
let card: VirtualCard;
let work: string;
let env: NodeJS.ProcessEnv;
const everyOutput: string[] = [];

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/dck.js pc …` with the card PIN (if any) on stdin. Async: the virtual card lives in this process. */
function dck(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dck.js', 'pc', ...args], { env, cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      everyOutput.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

const paths = () => ({
  state: join(work, 'state'),
  nss: join(work, 'nssdb'),
  units: join(work, 'units'),
  ca: join(work, 'issuer-tls.pem'),
});
const enrollArgs = (): string[] => {
  const p = paths();
  return [
    'enroll',
    '--issuer',
    h.issuer.url,
    '--ca',
    p.ca,
    '--state',
    p.state,
    '--nss-db',
    p.nss,
    '--systemd-dir',
    p.units,
  ];
};

function tokenObjects(type: 'privkey' | 'cert'): string {
  const pin = readFileSync(join(paths().state, 'token-pin'), 'utf8');
  return execFileSync(
    'pkcs11-tool',
    ['--module', TPM2_PKCS11_MODULE, '--token-label', 'dck this pc', '--login', '--pin', pin, '-O', '--type', type],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dck-pc-cli-'));
  tpm = await startSoftwareTpm();
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  h = await startHarness();
  card = await startVirtualCard({ profile: 'p256', pki: h.pki, port: environment.vpcdPort, insert: true });
  await waitForReaderState(environment.env, environment.readerName, 'present');
  writeFileSync(paths().ca, h.issuer.tlsCertificatePem);
  // HOME and XDG_CONFIG_HOME private: nothing reaches the real ~/.pki, ~/.config or ~/.tpm2_pkcs11.
  env = { ...environment.env, ...tpm.env, HOME: work, XDG_CONFIG_HOME: join(work, 'config') };
}, 120_000);
afterAll(async () => {
  await card.stop();
  await environment.stop();
  await h.close();
  await tpm.stop();
  rmSync(work, { recursive: true, force: true });
  for (const secret of [DEMO_PIN, '654321']) expect(everyOutput.join('\n')).not.toContain(secret);
});
// Without a resource manager the TPM keeps what each module load left (see swtpm.ts): flushed as the kernel would.
beforeEach(() => tpm.flushTransient());

describe('dck pc', () => {
  it('a wrong card PIN ends before any key is made', async () => {
    const refused = await dck(enrollArgs(), '654321\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Wrong PIN \(\d tries left/);
    tpm.flushTransient();
    expect(tokenObjects('privkey')).not.toMatch(/Private Key Object/);
    expect(existsSync(join(paths().state, 'state.json'))).toBe(false);
  }, 120_000);

  it('enroll: the key stays in the TPM, the certificate chains to the issuer with the derived policy, NSS offers it', async () => {
    const enrolled = await dck(enrollArgs(), `${DEMO_PIN}\n`);
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/^This PC is set up\. Its credential expires \d{4}-\d{2}-\d{2}\./);
    tpm.flushTransient();
    expect(tokenObjects('privkey')).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    tpm.flushTransient();
    const certificates = tokenObjects('cert');
    expect(certificates).toMatch(/Certificate Object/);

    const state = JSON.parse(readFileSync(join(paths().state, 'state.json'), 'utf8')) as {
      credential: { serialNumberHex: string; keyId: string };
    };
    tpm.flushTransient();
    const der = join(work, 'leaf.der');
    execFileSync(
      'pkcs11-tool',
      [
        '--module',
        TPM2_PKCS11_MODULE,
        '--token-label',
        'dck this pc',
        '--read-object',
        '--type',
        'cert',
        '--id',
        state.credential.keyId,
        '-o',
        der,
      ],
      { env, stdio: 'pipe' },
    );
    const leaf = join(work, 'leaf.pem');
    execFileSync('openssl', ['x509', '-inform', 'DER', '-in', der, '-out', leaf]);
    const ca = join(work, 'derived-ca.pem');
    writeFileSync(ca, h.issuer.caCertificatePem);
    expect(execFileSync('openssl', ['verify', '-CAfile', ca, leaf], { encoding: 'utf8' })).toContain('OK');
    expect(execFileSync('openssl', ['x509', '-in', leaf, '-noout', '-text'], { encoding: 'utf8' })).toContain(
      DERIVED_PIV_AUTH_POLICY,
    );

    tpm.flushTransient();
    const nss = { directory: paths().nss, env };
    expect(await listNssModules(nss)).toContain(NSS_MODULE_NAME);
    tpm.flushTransient();
    expect((await listNssCertificates(nss)).some((name) => name.startsWith('dck this pc:'))).toBe(true);
    const service = readFileSync(join(paths().units, 'dck-pc-renewal.service'), 'utf8');
    expect(service).toContain('"pc" "status" "--notify" "--state"');
  }, 180_000);

  it('status says what is installed and when renewal is due', async () => {
    const status = await dck(['status', '--json', '--state', paths().state]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true, renewalDue: false, expired: false });
  }, 120_000);

  it('enroll twice is refused: renew or remove', async () => {
    const again = await dck(enrollArgs(), `${DEMO_PIN}\n`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already set up');
  }, 120_000);

  it('remove: the issuer revokes it (a relying party with its CRL refuses it), then key and certificate are gone', async () => {
    const leaf = join(work, 'leaf.pem');
    const before = await relyingPartyFiles(h);
    expect(await opensslVerify(before.caFile, before.crlFile, leaf)).toMatchObject({ ok: true });
    const removed = await dck([
      'remove',
      '--state',
      paths().state,
      '--nss-db',
      paths().nss,
      '--systemd-dir',
      paths().units,
    ]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('revoked and its key deleted');
    const after = await relyingPartyFiles(h);
    const verdict = await opensslVerify(after.caFile, after.crlFile, leaf);
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/certificate revoked/);
    expect(existsSync(join(paths().units, 'dck-pc-renewal.timer'))).toBe(false);
    expect(existsSync(join(paths().state, 'state.json'))).toBe(false);
  }, 120_000);
});
