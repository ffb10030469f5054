// `npm run bench:issuer`: complete enrollments per second against a real issuer (its own process, HTTPS on
// loopback, SQLite file), N concurrent clients each doing device code → PKI-AUTH → approve → token → redeem;
// the crypto floor of one enrollment (its signature verifications and signing alone, in a loop); p50/p99 per
// endpoint. Prints figures only: no timed assertions.
//
//   node --import tsx bench/issuer.ts [--clients N] [--enrollments M]
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { DEVICE_CODE_GRANT_TYPE, ISSUER_ROUTES, enrollmentPath } from '../contracts/issuer-api.ts';
import type {
  ChallengeResponse, DeviceAuthorizationResponse, EnrollmentCode, KioskSession, TokenResponse,
} from '../contracts/issuer-api.ts';
import { checkCsr } from '../issuer/ca/csr.ts';
import { issueDerivedCertificate } from '../issuer/ca/derived-certificate.ts';
import { loadOrCreateDataDirCa } from '../issuer/ca/issuing-ca.ts';
import { verifyCardAuthentication } from '../issuer/pki-auth/verify-card-authentication.ts';
import type { PivTrustPolicy } from '../issuer/pki-auth/verify-card-authentication.ts';
import { startIssuer } from '../issuer/start-issuer.ts';
import { createTestPki } from '../virtual-card/test-pki.ts';
import type { IssuedCardCertificate, TestPki } from '../virtual-card/test-pki.ts';
import { buildCrl } from '../virtual-card/revocation.ts';
import { IssuerHttpClient } from '../test/integration/issuer/issuer-client.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

// ─────────────── server mode: the child process runs the issuer and prints its address ───────────────

async function serve(dataDir: string): Promise<void> {
  const issuer = await startIssuer({
    dataDir, port: 0,
    config: {
      pivTrust: {
        trustAnchorFiles: [join(dataDir, 'root.der')], intermediateFiles: [join(dataDir, 'intermediate.der')],
        crlFiles: [join(dataDir, 'root.crl'), join(dataDir, 'intermediate.crl')],
      },
      rateLimits: { requestsPerMinute: 10_000_000, codeGuessesPerMinute: 100_000 },
    },
  });
  console.log(JSON.stringify({ url: issuer.url, tlsCertificatePem: issuer.tlsCertificatePem }));
  // A line "cpu" on stdin asks for this process's CPU time so far (all its threads: libuv pool included).
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'cpu') console.log(JSON.stringify({ cpu: process.cpuUsage() }));
  });
  // Stops when the parent closes our stdin (or dies): never outlives the benchmark.
  process.stdin.on('end', () => { issuer.close().then(() => process.exit(0), () => process.exit(1)); });
}

// ─────────────── client mode ───────────────

interface Options { clients: number; enrollments: number }

function parseOptions(args: string[]): Options {
  const value = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    const parsed = at >= 0 ? Number(args[at + 1]) : fallback;
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} must be a positive integer`);
    return parsed;
  };
  return { clients: value('--clients', 16), enrollments: value('--enrollments', 2000) };
}

const latencies = new Map<string, number[]>();

async function timed<T>(name: string, call: () => Promise<{ status: number; body: T; text: string }>, expected: number): Promise<T> {
  const started = performance.now();
  const answer = await call();
  const list = latencies.get(name) ?? [];
  list.push(performance.now() - started);
  latencies.set(name, list);
  if (answer.status !== expected) throw new Error(`${name}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
  return answer.body;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function cardSign(key: KeyObject, card: IssuedCardCertificate, challenge: Uint8Array): string {
  return nodeSign(card.keyAlgorithm === 'P-384' ? 'sha384' : 'sha256', challenge, { key, dsaEncoding: 'der' }).toString('base64url');
}

async function makeCsr(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=phone', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return csr.toString('pem');
}

interface Fixture { pki: TestPki; cards: Array<{ card: IssuedCardCertificate; key: KeyObject }>; csrs: string[]; dataDir: string }

/** One card per enrollment: the PKI-AUTH verifier caches its verdict per certificate, and real kiosks see new cards. */
async function prepare(cardCount: number): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dck-bench-issuer-'));
  const pki = await createTestPki();
  writeFileSync(join(dataDir, 'root.der'), pki.root.der);
  writeFileSync(join(dataDir, 'intermediate.der'), pki.intermediate.der);
  const nextUpdate = new Date(Date.now() + 86_400_000);
  writeFileSync(join(dataDir, 'root.crl'), await buildCrl({ issuer: pki.root, nextUpdate }));
  writeFileSync(join(dataDir, 'intermediate.crl'), await buildCrl({ issuer: pki.intermediate, nextUpdate }));
  const cards = [];
  for (let i = 0; i < cardCount; i += 1) {
    const card = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: `Bench Cardholder ${i}` });
    cards.push({ card, key: createPrivateKey({ key: Buffer.from(card.privateKeyPkcs8), format: 'der', type: 'pkcs8' }) });
  }
  const csrs = [];
  for (let i = 0; i < 32; i += 1) csrs.push(await makeCsr());
  return { pki, cards, csrs, dataDir };
}

async function enrollOnce(http: IssuerHttpClient, fixture: Fixture, n: number): Promise<void> {
  const { card, key } = fixture.cards[n % fixture.cards.length]!;
  const csr = fixture.csrs[n % fixture.csrs.length]!;
  const device = await timed<DeviceAuthorizationResponse>('device_authorization',
    () => http.send('POST', ISSUER_ROUTES.deviceAuthorization, { form: { client_id: 'dck-phone' } }), 200);
  const issued = await timed<ChallengeResponse>('pki-auth/challenge',
    () => http.send('POST', ISSUER_ROUTES.pkiAuthChallenge, { json: { kioskId: 'bench' } }), 200);
  const signature = cardSign(key, card, new Uint8Array(Buffer.from(issued.challenge, 'base64url')));
  const session = await timed<KioskSession>('pki-auth/response', () => http.send('POST', ISSUER_ROUTES.pkiAuthResponse, {
    json: { challengeId: issued.challengeId, certificate: Buffer.from(card.der).toString('base64url'), signature },
  }), 200);
  const code = await timed<EnrollmentCode>('enrollments (approve)',
    () => http.send('POST', ISSUER_ROUTES.enrollments, { json: { userCode: device.user_code }, bearer: session.sessionToken }), 201);
  const token = await timed<TokenResponse>('token', () => http.send('POST', ISSUER_ROUTES.token, {
    form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.device_code, client_id: 'dck-phone' },
  }), 200);
  await timed('redeem', () => http.send('POST', enrollmentPath(ISSUER_ROUTES.enrollmentRedeem, code.enrollmentId), {
    json: { otp: code.otp, csr }, bearer: token.access_token,
  }), 200);
}

/** The signature work of one enrollment, alone: card signature, 2 certificates, 2 CRLs, the CSR, the new certificate. */
async function cryptoFloor(fixture: Fixture, seconds: number): Promise<{ rawPerSecond: number; verifierPerSecond: number; verifierCpuMs: number }> {
  const { card, key } = fixture.cards[0]!;
  const challenge = new Uint8Array(32).fill(7);
  const signature = Buffer.from(cardSign(key, card, challenge), 'base64url');
  const cardPublic = createPublicKey({ key: Buffer.from(card.certificate.publicKey.rawData), format: 'der', type: 'spki' });
  const intermediatePublic = createPublicKey({ key: Buffer.from(fixture.pki.intermediate.certificate.publicKey.rawData), format: 'der', type: 'spki' });
  const rootPublic = createPublicKey({ key: Buffer.from(fixture.pki.root.certificate.publicKey.rawData), format: 'der', type: 'spki' });
  // OpenSSL certificate objects, parsed once outside the loop: the loop measures the signature checks only.
  const cardCertificate = new X509Certificate(card.der);
  const intermediateCertificate = new X509Certificate(fixture.pki.intermediate.der);
  const caDir = mkdtempSync(join(tmpdir(), 'dck-bench-ca-'));
  const ca = await loadOrCreateDataDirCa(caDir, 'Bench', new Date());
  const csr = fixture.csrs[0]!;
  const csrCheck = checkCsr(csr);
  if (!csrCheck.ok) throw new Error('bench CSR is invalid');

  let rounds = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    nodeVerify('sha256', challenge, cardPublic, signature);
    cardCertificate.verify(intermediatePublic);
    intermediateCertificate.verify(rootPublic);
    // Two CRL signature checks cost the same as two certificate checks (same keys, same algorithm).
    cardCertificate.verify(intermediatePublic);
    intermediateCertificate.verify(rootPublic);
    checkCsr(csr);
    await issueDerivedCertificate(ca, {
      subjectPublicKeySpkiDer: csrCheck.subjectPublicKeySpkiDer, cardholderCommonName: 'x', cardholderUuid: card.uuid,
      cardCertificateNotAfter: card.certificate.notAfter, lifetimeDays: 365, now: new Date(),
    });
    rounds += 1;
  }
  const rawPerSecond = rounds / seconds;

  const policy: PivTrustPolicy = {
    trustAnchorsDer: [fixture.pki.root.der], intermediatesDer: [fixture.pki.intermediate.der],
    requiredPolicyOids: ['2.16.840.1.101.3.2.1.3.13'], crlUrls: [],
    crlFiles: [join(fixture.dataDir, 'root.crl'), join(fixture.dataDir, 'intermediate.crl')], ocspUrl: null,
  };
  // New cards only (its verdict cache would otherwise answer): a fresh policy object has empty caches. The cards'
  // signatures are made before the clock starts, so the figure is the verifier's work alone. One warm-up card
  // loads the CRLs and validates the CA part once, as a running issuer has done long before.
  const signed = fixture.cards.map(({ card: fresh, key: freshKey }) => ({ fresh, signature: new Uint8Array(Buffer.from(cardSign(freshKey, fresh, challenge), 'base64url')) }));
  const verifyOne = async ({ fresh, signature: freshSignature }: { fresh: IssuedCardCertificate; signature: Uint8Array }) => {
    const result = await verifyCardAuthentication({ challenge, signature: freshSignature, certificateDer: fresh.der }, policy);
    if (!result.ok) throw new Error(`bench card refused: ${result.code} ${result.message}`);
  };
  const [warmUp, ...rest] = signed;
  if (warmUp !== undefined) await verifyOne(warmUp);
  let verified = 0;
  const verifierCpuBefore = process.cpuUsage();
  const verifierStarted = performance.now();
  const verifierDeadline = verifierStarted + seconds * 1000;
  for (const item of rest) {
    if (performance.now() >= verifierDeadline) break;
    await verifyOne(item);
    verified += 1;
  }
  const verifierSeconds = (performance.now() - verifierStarted) / 1000;
  const verifierCpu = process.cpuUsage(verifierCpuBefore);
  const verifierCpuMs = (verifierCpu.user + verifierCpu.system) / 1000 / Math.max(1, verified);
  rmSync(caDir, { recursive: true, force: true });
  return { rawPerSecond, verifierPerSecond: verified / verifierSeconds, verifierCpuMs };
}

function formatLoad(load: number[]): string {
  return load.map((value) => value.toFixed(2)).join(' ');
}

async function startServerProcess(dataDir: string) {
  // BENCH_ISSUER_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the issuer process.
  const extraFlags = (process.env.BENCH_ISSUER_SERVER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const child = spawn(process.execPath, [...extraFlags, '--import', 'tsx', fileURLToPath(import.meta.url), '--serve', dataDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const firstLine = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`issuer process exited (${code})`)));
  });
  const { url, tlsCertificatePem } = JSON.parse(firstLine) as { url: string; tlsCertificatePem: string };
  return {
    url, tlsCertificatePem,
    /** CPU milliseconds the issuer process has used so far (user + system, all threads). */
    cpuMs: () => new Promise<number>((resolve) => {
      lines.once('line', (line) => {
        const { cpu } = JSON.parse(line) as { cpu: NodeJS.CpuUsage };
        resolve((cpu.user + cpu.system) / 1000);
      });
      child.stdin.write('cpu\n');
    }),
    stop: () => new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.stdin.end(); }),
  };
}

async function benchmark(options: Options): Promise<void> {
  console.log(`issuer benchmark: ${options.enrollments} enrollments, ${options.clients} concurrent clients, ${cpus().length} CPUs, node ${process.version}`);
  const fixture = await prepare(options.enrollments + options.clients);
  const server = await startServerProcess(fixture.dataDir);
  const http = new IssuerHttpClient(server.url, server.tlsCertificatePem, options.clients);
  try {
    // Warm-up: TLS sessions, JIT, CRL cache.
    for (let i = 0; i < options.clients; i += 1) await enrollOnce(http, fixture, i);
    latencies.clear();
    const loadBefore = loadavg();
    const serverCpuBefore = await server.cpuMs();
    const clientCpuBefore = process.cpuUsage();
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: options.clients }, async () => {
      while (next < options.enrollments) {
        const n = next;
        next += 1;
        await enrollOnce(http, fixture, n);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuMs = (await server.cpuMs()) - serverCpuBefore;
    const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000;
    const rate = options.enrollments / seconds;
    console.log(`\ncomplete enrollments: ${rate.toFixed(1)}/s (${options.enrollments} in ${seconds.toFixed(2)} s, 6 requests each, a new card each time)`);
    console.log(`load average (1/5/15 min) before ${formatLoad(loadBefore)}, after ${formatLoad(loadavg())} — other processes share these ${cpus().length} CPUs`);
    const serverPerEnrollment = serverCpuMs / options.enrollments;
    console.log(`issuer process CPU: ${serverPerEnrollment.toFixed(2)} ms per enrollment (${(serverCpuMs / 1000 / seconds).toFixed(2)} cores busy on average)`
      + ` → ${(1000 / serverPerEnrollment).toFixed(0)} enrollments per issuer CPU-second`);
    console.log(`client process CPU (16 HTTPS clients, card signatures): ${(clientCpuMs / options.enrollments).toFixed(2)} ms per enrollment, competing for the same CPUs`);
    console.log('\nlatency per endpoint (ms):');
    for (const [name, list] of latencies) {
      const sorted = [...list].sort((a, b) => a - b);
      console.log(`  ${name.padEnd(24)} p50 ${percentile(sorted, 50).toFixed(2).padStart(7)}   p99 ${percentile(sorted, 99).toFixed(2).padStart(7)}   n=${sorted.length}`);
    }
    http.close();
    await server.stop();
    const floor = await cryptoFloor(fixture, 3);
    console.log(`\ncrypto floor, one thread (verify card signature, 2 certificates, 2 CRLs, the CSR; sign the derived certificate): ${floor.rawPerSecond.toFixed(1)} enrollments/s`);
    console.log(`PKI-AUTH verifier alone (issuer/pki-auth, a new card each time, CRLs cached), one thread: ${floor.verifierPerSecond.toFixed(1)} verifications/s, ${floor.verifierCpuMs.toFixed(2)} ms CPU each`);
    console.log(`crypto floor's share of the issuer's CPU per enrollment: ${((1000 / floor.rawPerSecond / serverPerEnrollment) * 100).toFixed(0)}%`);
    console.log(`complete enrollments as a share of the crypto floor: ${((rate / floor.rawPerSecond) * 100).toFixed(1)}%`);
    console.log('targets (issue 3): ≥ 300 enrollments/s with SQLite on 2 cores; ≥ 30% of the crypto floor');
  } finally {
    http.close();
    rmSync(fixture.dataDir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const serveAt = args.indexOf('--serve');
const main = serveAt >= 0 ? serve(args[serveAt + 1] ?? '') : benchmark(parseOptions(args));
main.catch((error: unknown) => {
  console.error(`bench:issuer failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
