// `dck pc` as a person at their own PC runs it: a real issuer on loopback (HTTPS, SQLite), the project's virtual PIV
// card in a real pcscd reader (PIN on stdin), tpm2-pkcs11 on a private swtpm, NSS tools on a private database, the
// systemd units in a private directory. The proof of issue 14: the key is never extractable, the certificate
// chains to the issuer's CA with the derived policy, NSS sees the module and the certificate, and after
// `dck pc remove` the issuer's CRL lists it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  listNssCertificates,
  listNssModules,
  NSS_MODULE_NAME,
  TPM2_PKCS11_MODULE,
} from '../../../native/device-keys/index.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { opensslVerify, relyingPartyFiles } from '../issuer/lifecycle/lifecycle-fixture.ts';
import { enrollArgs, installedCertificate, removeArgs, startPcBench } from './pc-fixture.ts';
import type { PcBench } from './pc-fixture.ts';

const DERIVED_PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.40';

let bench: PcBench;

const paths = () => ({
  state: join(bench.work, 'state'),
  nss: join(bench.work, 'nssdb'),
  units: bench.unitsDir,
});
const enroll = (): string[] => enrollArgs(bench, paths().state, { nssDb: paths().nss });

function tokenObjects(type: 'privkey' | 'cert'): string {
  const pin = readFileSync(join(paths().state, 'token-pin'), 'utf8');
  return execFileSync(
    'pkcs11-tool',
    ['--module', TPM2_PKCS11_MODULE, '--token-label', 'dck this pc', '--login', '--pin', pin, '-O', '--type', type],
    { env: bench.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
  );
}

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-cli-', card: true, tpm: true });
}, 120_000);
afterAll(async () => {
  await bench.stop();
  for (const secret of [DEMO_PIN, '654321']) expect(bench.printed.join('\n')).not.toContain(secret);
});
// Without a resource manager the TPM keeps what each module load left (see swtpm.ts): flushed as the kernel would.
beforeEach(() => bench.flushTpm());

describe('dck pc', () => {
  it('a wrong card PIN ends before any key is made', async () => {
    const refused = await bench.dck(enroll(), '654321\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Wrong PIN \(\d tries left/);
    bench.flushTpm();
    expect(tokenObjects('privkey')).not.toMatch(/Private Key Object/);
    expect(existsSync(join(paths().state, 'state.json'))).toBe(false);
  }, 120_000);

  it('enroll: the key stays in the TPM, the certificate chains to the issuer with the derived policy, NSS offers it', async () => {
    const enrolled = await bench.dck(enroll(), `${DEMO_PIN}\n`);
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/^This PC is set up\. Its credential expires \d{4}-\d{2}-\d{2}\./);
    bench.flushTpm();
    expect(tokenObjects('privkey')).toMatch(/Access:\s+sensitive, always sensitive, never extractable, local/);
    bench.flushTpm();
    const certificates = tokenObjects('cert');
    expect(certificates).toMatch(/Certificate Object/);

    const state = JSON.parse(readFileSync(join(paths().state, 'state.json'), 'utf8')) as {
      credential: { serialNumberHex: string; keyId: string };
    };
    bench.flushTpm();
    const leaf = await installedCertificate(bench, TPM2_PKCS11_MODULE, state.credential.keyId, 'leaf');
    const ca = join(bench.work, 'derived-ca.pem');
    writeFileSync(ca, bench.h.issuer.caCertificatePem);
    expect(execFileSync('openssl', ['verify', '-CAfile', ca, leaf], { encoding: 'utf8' })).toContain('OK');
    expect(execFileSync('openssl', ['x509', '-in', leaf, '-noout', '-text'], { encoding: 'utf8' })).toContain(
      DERIVED_PIV_AUTH_POLICY,
    );

    bench.flushTpm();
    const nss = { directory: paths().nss, env: bench.env };
    expect(await listNssModules(nss)).toContain(NSS_MODULE_NAME);
    bench.flushTpm();
    expect((await listNssCertificates(nss)).some((name) => name.startsWith('dck this pc:'))).toBe(true);
    const service = readFileSync(join(paths().units, 'dck-pc-renewal.service'), 'utf8');
    expect(service).toContain('"pc" "status" "--notify" "--state"');
  }, 180_000);

  it('status says what is installed and when renewal is due', async () => {
    const status = await bench.dck(['status', '--json', '--state', paths().state]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true, renewalDue: false, expired: false });
  }, 120_000);

  it('enroll twice is refused: renew or remove', async () => {
    const again = await bench.dck(enroll(), `${DEMO_PIN}\n`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already set up');
  }, 120_000);

  it('remove: the issuer revokes it (a relying party with its CRL refuses it), then key and certificate are gone', async () => {
    const leaf = join(bench.work, 'leaf.pem');
    const before = await relyingPartyFiles(bench.h);
    expect(await opensslVerify(before.caFile, before.crlFile, leaf)).toMatchObject({ ok: true });
    const removed = await bench.dck(removeArgs(bench, paths().state, paths().nss));
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('revoked and its key deleted');
    const after = await relyingPartyFiles(bench.h);
    const verdict = await opensslVerify(after.caFile, after.crlFile, leaf);
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/certificate revoked/);
    expect(existsSync(join(paths().units, 'dck-pc-renewal.timer'))).toBe(false);
    expect(existsSync(join(paths().state, 'state.json'))).toBe(false);
  }, 120_000);
});
