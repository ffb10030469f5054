// `node --import tsx bench/issuer-plumbing.ts [--enrollments M] [--clients N]`: the issuer's CPU per enrollment
// for everything *except* certificate path validation: a real issuer process (HTTPS, Fastify, rate limits, SQLite
// file, audit), whose PKI-AUTH verifier is replaced by a stub that accepts any answer with a fresh card identity.
// The CSR check and the signing of the derived certificate still run in the issuer; their cost alone is measured
// here too and subtracted, so the last figure is the request plumbing: HTTP, validation, storage, audit, hashing.
// CPU time, not wall time: other processes may share the CPUs. Prints figures only.
//
//   BENCH_ISSUER_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the issuer process.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { DEVICE_CODE_GRANT_TYPE } from '../contracts/issuer-api.ts';
import { PKI_AUTH_NONCE_BASE64URL_CHARS } from '../contracts/pki-auth-message.ts';
import type {
  ChallengeResponse,
  DeviceAuthorizationResponse,
  DevicePairing,
  EnrollmentCode,
  KioskSession,
  TokenResponse,
} from '../contracts/issuer-api.ts';
import { checkCsr } from '../issuer/ca/csr.ts';
import { issueDerivedCertificate } from '../issuer/ca/derived-certificate.ts';
import { revocationUrls } from '../issuer/lifecycle/revocation-urls.ts';
import { loadOrCreateDataDirCa } from '../issuer/ca/issuing-ca.ts';
import type { CardVerifier } from '../issuer/issuer-context.ts';
import { startIssuer } from '../issuer/start-issuer.ts';
import { IssuerHttpClient } from '../test/integration/issuer/issuer-client.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const STUB_CARD_DER = new Uint8Array(900).fill(0x30);

/** Accepts every answer as a new card (so each PKI-AUTH inserts a card row, as with real new cards). */
function stubVerifier(): CardVerifier {
  let serial = 0;
  return (input) => {
    serial += 1;
    return Promise.resolve({
      ok: true,
      identity: {
        uuid: '6f7c1a52-3b9e-4c1d-8f00-000000000001',
        fascnHex: null,
        commonName: `Plumbing Cardholder ${serial}`,
        issuerDn: 'CN=Plumbing Bench CA',
        serialNumberHex: serial.toString(16).padStart(16, '0'),
        notAfter: new Date(Date.now() + 365 * 86_400_000),
        certificateDer: input.certificateDer,
        keyAlgorithm: 'P-256',
      },
    });
  };
}

async function serve(dataDir: string): Promise<void> {
  const issuer = await startIssuer({
    dataDir,
    port: 0,
    verifyCard: stubVerifier(),
    // The stub cards have no real certificate: their status re-check (approve, redeem) is stubbed as "good" too.
    checkCardStatus: (certificateDer, policy) =>
      stubVerifier()(
        { issuerNonce: new Uint8Array(0), kioskNonce: new Uint8Array(0), signature: new Uint8Array(0), certificateDer },
        policy,
      ),
    config: {
      rateLimits: {
        requestsPerMinute: 10_000_000,
        codeGuessesPerMinute: 100_000,
        unauthenticatedPerAddressPerMinute: 10_000_000,
        unauthenticatedServicePerMinute: 10_000_000,
      },
    },
  });
  console.log(JSON.stringify({ url: issuer.url, tlsCertificatePem: issuer.tlsCertificatePem }));
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'cpu') console.log(JSON.stringify({ cpu: process.cpuUsage() }));
  });
  process.stdin.on('end', () => {
    issuer.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

async function startServerProcess(dataDir: string) {
  const extraFlags = (process.env.BENCH_ISSUER_SERVER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const child = spawn(
    process.execPath,
    [...extraFlags, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', dataDir],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const firstLine = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`issuer process exited (${code})`)));
  });
  const { url, tlsCertificatePem } = JSON.parse(firstLine) as { url: string; tlsCertificatePem: string };
  return {
    url,
    tlsCertificatePem,
    /** CPU ms used so far by the issuer process (all its threads), user and system. */
    cpuMs: () =>
      new Promise<{ user: number; system: number }>((resolve) => {
        lines.once('line', (line) => {
          const { cpu } = JSON.parse(line) as { cpu: NodeJS.CpuUsage };
          resolve({ user: cpu.user / 1000, system: cpu.system / 1000 });
        });
        child.stdin.write('cpu\n');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

async function makeCsr(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=phone',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return csr.toString('pem');
}

async function expect<T>(
  name: string,
  call: Promise<{ status: number; body: T; text: string }>,
  status: number,
): Promise<T> {
  const answer = await call;
  if (answer.status !== status) throw new Error(`${name}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  return answer.body;
}

async function enrollOnce(http: IssuerHttpClient, csr: string): Promise<void> {
  const device = await expect<DeviceAuthorizationResponse>(
    'device_authorization',
    http.route('deviceAuthorization', { body: { client_id: 'dck-phone' }, form: true }),
    200,
  );
  const issued = await expect<ChallengeResponse>(
    'challenge',
    http.route('pkiAuthChallenge', { body: { kioskId: 'bench' } }),
    200,
  );
  // The stub verifier (below) accepts any signature; the body must still be what the route's schema demands.
  const session = await expect<KioskSession>(
    'pki-auth',
    http.route('pkiAuthResponse', {
      body: {
        challengeId: issued.challengeId,
        kioskNonce: 'A'.repeat(PKI_AUTH_NONCE_BASE64URL_CHARS),
        certificate: Buffer.from(STUB_CARD_DER).toString('base64url'),
        signature: 'MEUCIQ' + 'A'.repeat(90),
      },
    }),
    200,
  );
  const pairing = await expect<DevicePairing>(
    'device pairing',
    http.route('devicePairings', { body: { userCode: device.user_code }, bearer: session.sessionToken }),
    200,
  );
  const code = await expect<EnrollmentCode>(
    'approve',
    http.route('approveUserCode', {
      body: { userCode: device.user_code, matchNumber: pairing.matchNumber },
      bearer: session.sessionToken,
    }),
    201,
  );
  const token = await expect<TokenResponse>(
    'token',
    http.route('token', {
      body: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.device_code, client_id: 'dck-phone' },
      form: true,
    }),
    200,
  );
  await expect(
    'redeem',
    http.route('redeemEnrollment', {
      params: { enrollmentId: code.enrollmentId },
      body: { otp: code.otp, csr },
      bearer: token.access_token,
    }),
    200,
  );
}

/** CPU ms of the CSR check + derived-certificate signing alone: the crypto that stays in the issuer here. */
async function csrAndSigningCpuMs(csr: string, rounds: number): Promise<number> {
  const caDir = mkdtempSync(join(tmpdir(), 'dck-bench-plumbing-ca-'));
  try {
    const ca = await loadOrCreateDataDirCa(caDir, 'Bench', new Date());
    const once = async () => {
      const checked = checkCsr(csr);
      if (!checked.ok) throw new Error('bench CSR is invalid');
      await issueDerivedCertificate(ca, {
        subjectPublicKeySpkiDer: checked.subjectPublicKeySpkiDer,
        cardholderCommonName: 'x',
        cardholderUuid: '6f7c1a52-3b9e-4c1d-8f00-000000000001',
        cardCertificateNotAfter: new Date(Date.now() + 86_400_000),
        lifetimeDays: 365,
        now: new Date(),
        revocationUrls: revocationUrls('https://127.0.0.1:8443', 1),
      });
    };
    for (let i = 0; i < 50; i += 1) await once();
    const before = process.cpuUsage();
    for (let i = 0; i < rounds; i += 1) await once();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / rounds;
  } finally {
    rmSync(caDir, { recursive: true, force: true });
  }
}

function option(args: string[], flag: string, fallback: number): number {
  const at = args.indexOf(flag);
  const parsed = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} must be a positive integer`);
  return parsed;
}

async function benchmark(args: string[]): Promise<void> {
  const enrollments = option(args, '--enrollments', 2000);
  const clients = option(args, '--clients', 16);
  console.log(
    `issuer plumbing benchmark: ${enrollments} enrollments, ${clients} clients, stub PKI-AUTH verifier, ${cpus().length} CPUs`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'dck-bench-plumbing-'));
  const csr = await makeCsr();
  const server = await startServerProcess(dataDir);
  const http = new IssuerHttpClient(server.url, server.tlsCertificatePem, clients);
  try {
    for (let i = 0; i < clients * 4; i += 1) await enrollOnce(http, csr);
    const cpuBefore = await server.cpuMs();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < enrollments) {
          next += 1;
          await enrollOnce(http, csr);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await server.cpuMs();
    const userMs = (cpuAfter.user - cpuBefore.user) / enrollments;
    const systemMs = (cpuAfter.system - cpuBefore.system) / enrollments;
    const serverMs = userMs + systemMs;
    http.close();
    await server.stop();
    const cryptoMs = await csrAndSigningCpuMs(csr, 500);
    console.log(
      `load average ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')} (wall-clock figures are shared-machine noise)`,
    );
    console.log(
      `issuer process CPU: ${serverMs.toFixed(3)} ms per enrollment (user ${userMs.toFixed(3)}, system ${systemMs.toFixed(3)}; ${(enrollments / seconds).toFixed(0)} enrollments/s wall clock)`,
    );
    console.log(`  of which CSR check + signing (measured alone): ${cryptoMs.toFixed(3)} ms`);
    console.log(
      `  request plumbing (HTTP, TLS, validation, storage, audit, hashing): ${(serverMs - cryptoMs).toFixed(3)} ms per enrollment, ${(((serverMs - cryptoMs) * 1000) / 6).toFixed(0)} µs per request`,
    );
  } finally {
    http.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const serveAt = args.indexOf('--serve');
const main = serveAt >= 0 ? serve(args[serveAt + 1] ?? '') : benchmark(args);
main.catch((error: unknown) => {
  console.error(`bench issuer-plumbing failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
