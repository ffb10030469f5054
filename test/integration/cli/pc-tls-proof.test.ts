// Issue 14's proof, with the SoftHSM2 driver: after `dck pc enroll --store software` against the real issuer and the
// virtual card, a TLS server that requires client certificates (Node `tls`, requestCert, the issuer's CA and CRL)
// accepts `openssl s_client` signing with the key on the token (Debian's libp11 engine), and refuses it once the
// issuer has revoked the credential (its CRL). Why SoftHSM2 and not tpm2-pkcs11: libp11 cannot log in to
// tpm2-pkcs11 inside the openssl process (tpm2-tss's ESYS fails to make its salted session's ephemeral key:
// Esys_StartAuthSession), while every other step (native/device-keys/README.md) works on the TPM.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import type { Server, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeDerivedCredential } from '../../../issuer/lifecycle/credential-state.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import { startHarness } from '../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';
import { relyingPartyFiles } from '../issuer/lifecycle/lifecycle-fixture.ts';

const run = promisify(execFile);
const DEMO_PIN = '123456';

let h: IssuerHarness;
let environment: PcscEnvironment;
let card: VirtualCard;
let work: string;
let env: NodeJS.ProcessEnv;

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

/** The relying party: TLS 1.2+ requiring a client certificate that chains to the issuer's CA and is not on its CRL. */
async function relyingParty(
  crlPem: string,
): Promise<{ server: Server; port: number; accepted: string[]; refusals: string[] }> {
  const accepted: string[] = [];
  const refusals: string[] = [];
  const server = createServer(
    {
      key: readFileSync(join(work, 'server.key')),
      cert: readFileSync(join(work, 'server.pem')),
      ca: h.issuer.caCertificatePem,
      crl: crlPem,
      requestCert: true,
      // Checked in the handler instead of by Node, so the test can read why a client was refused.
      rejectUnauthorized: false,
    },
    (socket: TLSSocket) => {
      if (!socket.authorized) {
        refusals.push(String(socket.authorizationError));
        socket.destroy();
        return;
      }
      accepted.push(String(socket.getPeerCertificate().subject?.CN ?? ''));
      socket.end('hello, derived credential\n');
    },
  );
  server.on('tlsClientError', (error: Error & { code?: string }) =>
    refusals.push(`${error.code ?? ''} ${error.message}`),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0, accepted, refusals };
}

/** openssl s_client signing its CertificateVerify with the token's key through libp11 (pkcs11 URI, RFC 7512). */
async function sClient(port: number, keyId: string): Promise<{ ok: boolean; output: string }> {
  const pin = readFileSync(join(work, 'state', 'token-pin'), 'utf8');
  const id = keyId.replace(/(..)/g, '%$1');
  try {
    const { stdout, stderr } = await run(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-engine',
        'pkcs11',
        '-keyform',
        'engine',
        '-key',
        `pkcs11:token=dck%20this%20pc;id=${id};type=private;pin-value=${pin}`,
        '-cert',
        join(work, 'leaf.pem'),
        '-CAfile',
        join(work, 'server.pem'),
        '-verify_return_error',
        '-quiet',
      ],
      { env: { ...env, PKCS11_MODULE_PATH: '/usr/lib/softhsm/libsofthsm2.so' }, timeout: 30_000, encoding: 'utf8' },
    );
    return { ok: stdout.includes('hello, derived credential'), output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

async function crlPem(): Promise<string> {
  const { crlFile } = await relyingPartyFiles(h);
  return (await run('openssl', ['crl', '-inform', 'DER', '-in', crlFile], { encoding: 'utf8' })).stdout;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dck-pc-tls-'));
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  h = await startHarness();
  card = await startVirtualCard({ profile: 'p256', pki: h.pki, port: environment.vpcdPort, insert: true });
  await waitForReaderState(environment.env, environment.readerName, 'present');
  writeFileSync(join(work, 'issuer-tls.pem'), h.issuer.tlsCertificatePem);
  env = {
    ...environment.env,
    HOME: work,
    XDG_CONFIG_HOME: join(work, 'config'),
    SOFTHSM2_CONF: join(work, 'softhsm2.conf'),
  };
  await run('mkdir', ['-p', join(work, 'tokens')]);
  writeFileSync(
    join(work, 'softhsm2.conf'),
    `directories.tokendir = ${join(work, 'tokens')}\nobjectstore.backend = file\n`,
  );
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-days',
    '1',
    '-keyout',
    join(work, 'server.key'),
    '-out',
    join(work, 'server.pem'),
  ]);
}, 120_000);
afterAll(async () => {
  await card.stop();
  await environment.stop();
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the TLS proof (SoftHSM2 driver)', () => {
  it('a server requiring client certificates accepts the token-held key, and refuses it once revoked (CRL)', async () => {
    const state = join(work, 'state');
    const enrolled = await dck(
      [
        'enroll',
        '--issuer',
        h.issuer.url,
        '--ca',
        join(work, 'issuer-tls.pem'),
        '--store',
        'software',
        '--state',
        state,
        '--nss-db',
        'none',
        '--systemd-dir',
        join(work, 'units'),
        '--json',
      ],
      `${DEMO_PIN}\n`,
    );
    expect(enrolled.code).toBe(0);
    const credential = JSON.parse(enrolled.stdout) as { keyId: string; serialNumberHex: string };
    // The certificate as installed: read back from the token (what a browser would send), in PEM for s_client.
    await run(
      'pkcs11-tool',
      [
        '--module',
        '/usr/lib/softhsm/libsofthsm2.so',
        '--token-label',
        'dck this pc',
        '--read-object',
        '--type',
        'cert',
        '--id',
        credential.keyId,
        '-o',
        join(work, 'leaf.der'),
      ],
      { env },
    );
    await run('openssl', ['x509', '-inform', 'DER', '-in', join(work, 'leaf.der'), '-out', join(work, 'leaf.pem')]);

    const before = await relyingParty(await crlPem());
    const accepted = await sClient(before.port, credential.keyId);
    before.server.close();
    expect(accepted.output).toContain('hello, derived credential');
    expect(before.accepted).toHaveLength(1);
    expect(before.refusals).toEqual([]);

    const storage = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
    await revokeDerivedCredential({ storage, now: () => new Date() }, credential.serialNumberHex, 'keyCompromise', {
      kind: 'admin',
      id: 'test',
    });
    await storage.close();
    const after = await relyingParty(await crlPem());
    const refused = await sClient(after.port, credential.keyId);
    after.server.close();
    expect(refused.ok).toBe(false);
    expect(after.accepted).toEqual([]);
    expect(after.refusals).toEqual(['CERT_REVOKED']);

    // `dck pc remove` finds it revoked already (what it wanted) and deletes key and certificate.
    const removed = await dck(['remove', '--state', state, '--nss-db', 'none', '--systemd-dir', join(work, 'units')]);
    expect(removed.code).toBe(0);
  }, 180_000);
});
