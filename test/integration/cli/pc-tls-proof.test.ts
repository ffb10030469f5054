// Issue 14's proof: after `dck pc enroll` against the real issuer and the virtual card, a TLS server that requires
// client certificates (Node `tls`, requestCert, the issuer's CA and CRL) accepts `openssl s_client` signing with the
// key in the PC's store through Debian's libp11 engine: on the TPM (tpm2-pkcs11 on a private swtpm) and on SoftHSM2.
// Then it refuses it once the issuer revoked the credential (its CRL).
//
// How the TPM key reaches s_client (measured): `-engine pkcs11 -keyform engine` makes libp11 the default for every
// algorithm in the process, so tpm2-tss's own OpenSSL calls (the ephemeral ECDH key of its salted session) went to
// the engine and C_Login failed (Esys_StartAuthSession). The key named as `org.openssl.engine:pkcs11:<pkcs11 URI>`
// loads the engine for that key only: C_Login, then a TLS 1.3 CertificateVerify signed in the TPM.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import type { Server, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeDerivedCredential } from '../../../issuer/lifecycle/credential-state.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';
import { SOFTHSM2_MODULE, TPM2_PKCS11_MODULE } from '../../../native/device-keys/index.ts';
import { DEMO_PIN } from '../../../virtual-card/profiles.ts';
import { opensslVerify, relyingPartyFiles } from '../issuer/lifecycle/lifecycle-fixture.ts';
import { enrollArgs, installedCertificate, removeArgs, startPcBench } from './pc-fixture.ts';
import type { PcBench } from './pc-fixture.ts';

const run = promisify(execFile);

let bench: PcBench;

/** The relying party: TLS 1.2+ requiring a client certificate that chains to the issuer's CA and is not on its CRL. */
async function relyingParty(
  crlPem: string,
): Promise<{ server: Server; port: number; accepted: string[]; refusals: string[] }> {
  const accepted: string[] = [];
  const refusals: string[] = [];
  const server = createServer(
    {
      key: readFileSync(join(bench.work, 'server.key')),
      cert: readFileSync(join(bench.work, 'server.pem')),
      ca: bench.h.issuer.caCertificatePem,
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

/** What s_client needs to sign with an enrolled key: the module, the state (its token PIN), the leaf as PEM. */
interface EnrolledKey {
  readonly module: string;
  readonly state: string;
  readonly keyId: string;
  readonly leafPem: string;
}

/**
 * openssl s_client signing its CertificateVerify with the token's key through libp11 (pkcs11 URI, RFC 7512), the
 * engine loaded for the key only (`org.openssl.engine:`, see the top of this file).
 */
async function sClient(port: number, key: EnrolledKey): Promise<{ ok: boolean; output: string }> {
  const pin = readFileSync(join(key.state, 'token-pin'), 'utf8');
  const id = key.keyId.replace(/(..)/g, '%$1');
  try {
    const { stdout, stderr } = await run(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-key',
        `org.openssl.engine:pkcs11:pkcs11:token=dck%20this%20pc;id=${id};type=private;pin-value=${pin}`,
        '-cert',
        key.leafPem,
        '-CAfile',
        join(bench.work, 'server.pem'),
        '-verify_return_error',
        '-quiet',
      ],
      { env: { ...bench.env, PKCS11_MODULE_PATH: key.module }, timeout: 30_000, encoding: 'utf8' },
    );
    return { ok: stdout.includes('hello, derived credential'), output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

/** A relying party on the issuer's current CRL accepts `key`: it answers the client, accepted once, refused never. */
async function expectAccepted(key: EnrolledKey): Promise<void> {
  const before = await relyingParty(await crlPem());
  const accepted = await sClient(before.port, key);
  before.server.close();
  expect(accepted.output).toContain('hello, derived credential');
  expect(before.accepted).toHaveLength(1);
  expect(before.refusals).toEqual([]);
}

async function crlPem(): Promise<string> {
  const { crlFile } = await relyingPartyFiles(bench.h);
  return (await run('openssl', ['crl', '-inform', 'DER', '-in', crlFile], { encoding: 'utf8' })).stdout;
}

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-tls-', card: true, tpm: true, softhsm: 'private' });
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
    join(bench.work, 'server.key'),
    '-out',
    join(bench.work, 'server.pem'),
  ]);
}, 120_000);
afterAll(async () => {
  await bench.stop();
  expect(bench.printed.join('\n')).not.toContain(DEMO_PIN);
});

/** `dck pc enroll` into a fresh state directory, then the certificate read back from the token as PEM. */
async function enrollInto(store: 'tpm' | 'software'): Promise<EnrolledKey & { serialNumberHex: string }> {
  const state = join(bench.work, `state-${store}`);
  const enrolled = await bench.dck(enrollArgs(bench, state, { store, json: true }), `${DEMO_PIN}\n`);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const credential = JSON.parse(enrolled.stdout) as { keyId: string; serialNumberHex: string };
  const module = store === 'tpm' ? TPM2_PKCS11_MODULE : SOFTHSM2_MODULE;
  // The certificate as installed: read back from the token (what a browser would send), in PEM for s_client.
  if (store === 'tpm') bench.flushTpm();
  const leafPem = await installedCertificate(bench, module, credential.keyId, `leaf-${store}`);
  return { module, state, keyId: credential.keyId, leafPem, serialNumberHex: credential.serialNumberHex };
}

describe('the TLS proof (TPM driver: tpm2-pkcs11 on swtpm)', () => {
  it('the key never leaves the TPM; a server requiring client certificates accepts it; after `dck pc remove` the CRL lists it and the key is gone', async () => {
    bench.flushTpm();
    const key = await enrollInto('tpm');
    const pin = readFileSync(join(key.state, 'token-pin'), 'utf8');
    const onToken = (args: string[]) => {
      bench.flushTpm();
      return run(
        'pkcs11-tool',
        ['--module', TPM2_PKCS11_MODULE, '--token-label', 'dck this pc', '--login', '--pin', pin, ...args],
        {
          env: bench.env,
          encoding: 'utf8',
        },
      );
    };
    expect((await onToken(['-O', '--type', 'privkey'])).stdout).toMatch(
      /Access:\s+sensitive, always sensitive, never extractable, local/,
    );
    // Reading its CKA_VALUE is refused by tpm2-pkcs11 itself (pkcs11-tool declines to try for EC keys): tested through
    // PKCS#11 in test/integration/native/device-keys/pkcs11-device-key-store.test.ts.

    bench.flushTpm();
    await expectAccepted(key);

    // The token PIN file goes with `dck pc remove`: kept here to show that the key itself is gone afterwards.
    mkdirSync(join(bench.work, 'pin-kept'));
    copyFileSync(join(key.state, 'token-pin'), join(bench.work, 'pin-kept', 'token-pin'));
    bench.flushTpm();
    const removed = await bench.dck(removeArgs(bench, key.state));
    expect(removed.code).toBe(0);
    // The relying party's next CRL refuses the certificate; and no client can sign with the key any more.
    const { caFile, crlFile } = await relyingPartyFiles(bench.h);
    expect((await opensslVerify(caFile, crlFile, key.leafPem)).output).toMatch(/certificate revoked/);
    bench.flushTpm();
    const after = await relyingParty(await crlPem());
    const gone = await sClient(after.port, { ...key, state: join(bench.work, 'pin-kept') });
    after.server.close();
    expect(gone.ok).toBe(false);
    expect(after.accepted).toEqual([]);
  }, 180_000);
});

describe('the TLS proof (SoftHSM2 driver)', () => {
  it('a server requiring client certificates accepts the token-held key, and refuses it once revoked (CRL)', async () => {
    const key = await enrollInto('software');
    await expectAccepted(key);

    const storage = openSqliteStorage(join(bench.h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
    await revokeDerivedCredential({ storage, now: () => new Date() }, key.serialNumberHex, 'keyCompromise', {
      kind: 'admin',
      id: 'test',
    });
    await storage.close();
    const after = await relyingParty(await crlPem());
    const refused = await sClient(after.port, key);
    after.server.close();
    expect(refused.ok).toBe(false);
    expect(after.accepted).toEqual([]);
    expect(after.refusals).toEqual(['CERT_REVOKED']);

    // `dck pc remove` finds it revoked already (what it wanted) and deletes key and certificate.
    const removed = await bench.dck(removeArgs(bench, key.state));
    expect(removed.code).toBe(0);
  }, 180_000);
});
