// The issuing CA's key in a PKCS#11 token (SoftHSM2, private token dir): `dck ca ceremony` makes the key in the
// token, the issuer signs derived certificates through it (OpenSSL verifies them against the ceremony's CA
// certificate), and when the token disappears mid-run the issuer says so on /readyz, refuses to issue with
// 503 ca-unavailable (nothing recorded), and issues again once the token is back.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS_PATHS } from '../../../../contracts/issuer-routes.ts';
import { SOFTHSM_MODULE } from '../../native/softhsm-token.ts';
import { makeCsr, redeem, startHarness, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { CA_TOKEN_PIN, createCaToken } from './softhsm-ca-token.ts';
import type { CaKeyDescription, CaToken } from './softhsm-ca-token.ts';

let token: CaToken;
let described: CaKeyDescription;
let h: IssuerHarness;

const tokenCaConfig = (overrides: Record<string, unknown> = {}) => ({
  ca: {
    pkcs11: {
      module: SOFTHSM_MODULE,
      tokenLabel: described.tokenLabel,
      keyId: described.keyId,
      pinFile: token.pinFile,
      certificateFile: described.certificateFile,
      ...overrides,
    },
  },
});

function opensslVerify(caFile: string, certificatePem: string): string {
  const leaf = join(token.directory, `leaf-${Date.now()}.pem`);
  writeFileSync(leaf, certificatePem);
  return execFileSync('openssl', ['verify', '-CAfile', caFile, leaf], { encoding: 'utf8' }).trim();
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

beforeAll(async () => {
  token = createCaToken();
  // The in-process issuer loads SoftHSM2 in this process: point it at the private token directory.
  process.env.SOFTHSM2_CONF = token.configPath;
  const ceremony = token.ceremony([
    '--key-id',
    'ca01',
    '--name',
    'Test Agency',
    '--out',
    join(token.directory, 'ceremony'),
  ]);
  expect(ceremony.stderr).toBe('');
  if (ceremony.description === null) throw new Error(`ceremony failed: ${ceremony.stderr}`);
  described = ceremony.description;
  h = await startHarness({ config: tokenCaConfig() });
}, 60_000);
afterAll(async () => {
  await h?.close();
  token?.remove();
});

describe('dck ca ceremony', () => {
  it('makes a P-256 key the token reports sensitive and never extractable, and a self-signed CA certificate for it', () => {
    expect(described).toMatchObject({
      module: SOFTHSM_MODULE,
      tokenLabel: 'dck-ca',
      keyId: 'ca01',
      algorithm: 'ec-p256',
    });
    expect(described.protection).toEqual({
      sensitive: true,
      extractable: false,
      neverExtractable: true,
      alwaysSensitive: true,
    });
    const caFile = described.certificateFile ?? '';
    expect(opensslVerify(caFile, readFileSync(caFile, 'utf8'))).toMatch(/: OK$/);
    const subject = execFileSync('openssl', ['x509', '-in', caFile, '-noout', '-subject', '-pubkey'], {
      encoding: 'utf8',
    });
    expect(subject).toContain('Test Agency Derived PIV CA');
    // The certificate's key is the one the token made.
    expect(subject).toContain(described.publicKeyPem.trim());
    expect(JSON.parse(readFileSync(join(token.directory, 'ceremony', 'ca-key.json'), 'utf8'))).toEqual(described);
  });

  it('writes a CSR for an offline root with an RSA-3072 key, and never replaces an existing key id', () => {
    const out = join(token.directory, 'ceremony-rsa');
    const rsa = token.ceremony(['--key-id', 'ca02', '--algorithm', 'rsa-3072', '--csr', '--out', out]);
    expect(rsa.status).toBe(0);
    expect(rsa.description?.requestFile).toBe(join(out, 'ca-request.pem'));
    const request = execFileSync('openssl', ['req', '-in', join(out, 'ca-request.pem'), '-verify', '-noout', '-text'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(request).toContain('Public-Key: (3072 bit)');
    const again = token.ceremony(['--key-id', 'ca01', '--out', join(token.directory, 'ceremony-again')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('key-id-in-use');
  });

  it('takes the PIN from standard input only: a wrong one is refused by the token and never echoed', () => {
    const wrong = token.ceremony(['--key-id', 'ca03', '--out', join(token.directory, 'ceremony-wrong')], '97531');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('CKR_PIN_INCORRECT');
    expect(wrong.stderr).not.toContain('97531');
  });
});

describe('issuer with the CA key in the token', () => {
  it("issues a derived certificate signed in the token that OpenSSL verifies against the ceremony's CA certificate", async () => {
    const { code, accessToken } = await upToRedeem(h);
    const answer = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
    expect(answer.status).toBe(200);
    expect(opensslVerify(described.certificateFile ?? '', answer.body.certificatePem)).toMatch(/: OK$/);
    expect(h.issuer.caCertificatePem).toBe(readFileSync(described.certificateFile ?? '', 'utf8'));
    const metrics = await h.issuer.metrics.registry.getSingleMetricAsString('dck_issuer_ca_signer_duration_seconds');
    expect(metrics).toMatch(/dck_issuer_ca_signer_duration_seconds_count\{signer="pkcs11"\} [1-9]/);
  });

  it('token pulled mid-run: /readyz says so, issuance fails closed with ca-unavailable, and recovers when it is back', async () => {
    const { code, accessToken } = await upToRedeem(h);
    expect((await h.http.send('GET', OPERATIONS_PATHS.readyz)).status).toBe(200);
    token.pull();
    try {
      const refused = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('ca-unavailable');
      const ready = await h.http.send<{ status: string; checks: { caSigner: { ok: boolean; reason?: string } } }>(
        'GET',
        OPERATIONS_PATHS.readyz,
      );
      expect(ready.status).toBe(503);
      expect(ready.body.checks.caSigner.ok).toBe(false);
      expect((await h.http.send('GET', OPERATIONS_PATHS.healthz)).status).toBe(200);
      expect((await h.issuer.storage.findEnrollment(code.enrollmentId))?.status).toBe('awaiting-phone');
    } finally {
      token.putBack();
    }
    expect(await waitFor(async () => (await h.http.send('GET', OPERATIONS_PATHS.readyz)).status === 200, 10_000)).toBe(
      true,
    );
    const issued = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
    expect(issued.status).toBe(200);
    expect(opensslVerify(described.certificateFile ?? '', issued.body.certificatePem)).toMatch(/: OK$/);
    const errors = await h.issuer.metrics.registry.getSingleMetricAsString('dck_issuer_ca_signer_errors_total');
    expect(errors).toMatch(/dck_issuer_ca_signer_errors_total\{signer="pkcs11",reason="[A-Za-z_-]+"\} [1-9]/);
  });
});

describe('start-up checks of the token CA', () => {
  // A PKCS#11 module is initialised once per process: these start issuers of their own, one at a time.
  beforeAll(async () => {
    await h.close();
  });

  it("refuses a PIN file others can read, a wrong PIN, and a certificate that is not the token key's", async () => {
    const loosePin = join(token.directory, 'loose-pin');
    writeFileSync(loosePin, `${CA_TOKEN_PIN}\n`);
    chmodSync(loosePin, 0o644);
    await expect(startHarness({ config: tokenCaConfig({ pinFile: loosePin }) })).rejects.toThrow(/pin-unavailable/);
    const wrongPin = join(token.directory, 'wrong-pin');
    writeFileSync(wrongPin, '111111\n', { mode: 0o600 });
    const failure = await startHarness({ config: tokenCaConfig({ pinFile: wrongPin }) }).then(
      () => 'started',
      (error: unknown) => String(error),
    );
    expect(failure).toContain('CKR_PIN_INCORRECT');
    expect(failure).not.toContain('111111');
    // The RSA key's certificate request is no certificate; a certificate of another key is a mismatch.
    const otherCa = join(token.directory, 'other-ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=Other',
        '-keyout',
        '/dev/null',
        '-out',
        otherCa,
      ],
      { stdio: 'ignore' },
    );
    await expect(startHarness({ config: tokenCaConfig({ certificateFile: otherCa }) })).rejects.toThrow(/key-mismatch/);
  });

  it('takes the PIN from an environment variable', async () => {
    process.env.DCK_TEST_CA_PIN = CA_TOKEN_PIN;
    const fromEnv = await startHarness({ config: tokenCaConfig({ pinFile: undefined, pinEnv: 'DCK_TEST_CA_PIN' }) });
    try {
      expect((await fromEnv.http.send('GET', OPERATIONS_PATHS.readyz)).status).toBe(200);
      const { code, accessToken } = await upToRedeem(fromEnv);
      expect((await redeem(fromEnv.http, accessToken, code.enrollmentId, code.otp, await makeCsr())).status).toBe(200);
    } finally {
      await fromEnv.close();
      delete process.env.DCK_TEST_CA_PIN;
    }
  });
});
