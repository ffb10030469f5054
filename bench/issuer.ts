// `npm run bench:issuer`: complete enrollments per second against a real issuer run as a user runs it
// (`dck issuer --workers W`: a primary and W worker processes, HTTPS on loopback, one SQLite file), N concurrent
// clients each doing device code → PKI-AUTH → approve → token → redeem with a new card every time; the CPU of
// every issuer process (from /proc, all threads) and of this client; the crypto floor of one enrollment (its
// signature verifications and signing alone, in a loop); p50/p99 per endpoint. Prints figures only.
//
//   node --import tsx bench/issuer.ts [--clients N] [--enrollments M] [--warm-up K] [--workers W] [--client raw-tls|undici|node-https]
//                                     [--ca-signer software|pkcs11] [--log-level info|silent|…]
//                                     [--storage sqlite|postgres] [--nodes N] [--prefill N] [--rounds R]
//                                     [--postgres-via tcp|unix|both] [--postgres-statements N]
//
// --storage postgres: SQLite as always, and beside it a private PostgreSQL 15 cluster
// (test/integration/issuer/storage/postgres-server.ts, synchronous_commit off: the durability of SQLite's WAL with
// synchronous=NORMAL) served by N `dck issuer` processes on different ports (--nodes, each with --workers W), each
// client staying on one node; then both rates side by side, and PostgreSQL's own CPU beside the issuer's.
// --postgres-statements N: the cluster loads pg_stat_statements, and the N statement texts PostgreSQL spent most
// planning and executing in the measured rounds are printed after them (bench/postgres-statements.ts).
//
// --prefill N (≤ 5,000,000): each backend measured twice, on an empty database and on one where, before the warm-up,
// one enrollment was made alone and then N copies of it (its card, session, device authorization, enrollment,
// derived certificate and chained audit rows) were written in batches (bench/issuer-prefill.ts); prints how long
// that took, and full against empty.
//
// Several setups (--storage postgres, --prefill): all are started and warmed up first, each warmed up again (up to
// 300 enrollments, not counted) just before the rounds, then measured in R rounds (--rounds, default 6) of M/R
// enrollments each, taking turns and reversing the order every round (A B, B A, …), so
// the machine's drift falls on every setup alike (measureAlternating). Each prints its figures over its rounds.
//
// --ca-signer pkcs11: the CA key in a SoftHSM2 token (bench/issuer-ca-token.ts) instead of the data dir's software key.
// --log-level: the issuer's operations.logLevel (default info: one JSON line per request, as deployed).
//
// --client: raw-tls (default, bench/issuer-raw-client.ts) costs the client about half the CPU of undici and undici
// less than node:https; on these 2 shared cores every client millisecond is one the issuer does not get. undici
// and node-https stay as cross-checks: the issuer's figures must not depend on which client asks.
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  webcrypto,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { DEVICE_CODE_GRANT_TYPE } from '../contracts/issuer-api.ts';
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
import { verifyCardAuthentication } from '../issuer/pki-auth/verify-card-authentication.ts';
import type { PivTrustPolicy } from '../issuer/pki-auth/verify-card-authentication.ts';
import { createTestPki } from '../virtual-card/test-pki.ts';
import type { IssuedCardCertificate, TestPki } from '../virtual-card/test-pki.ts';
import { buildCrl } from '../virtual-card/revocation.ts';
import { IssuerHttpClient } from '../test/integration/issuer/issuer-client.ts';
import { newKioskNonce, pkiAuthMessageBytes } from '../test/integration/pki-auth/card-signature.ts';
import { sendRoute, undiciClient } from './issuer-http-client.ts';
import { rawTlsClient } from './issuer-raw-client.ts';
import { createBenchCaToken } from './issuer-ca-token.ts';
import type { BenchAnswer, BenchHttpClient } from './issuer-http-client.ts';
import { startPostgres } from '../test/integration/issuer/storage/postgres-server.ts';
import type { PostgresServer } from '../test/integration/issuer/storage/postgres-server.ts';
import type { PostgresSettings } from '../issuer/storage/postgres-connection.ts';
import { checkPrefillCount, prefillEnrollments } from './issuer-prefill.ts';
import { openStatementStats } from './postgres-statements.ts';
import type { StatementStats } from './postgres-statements.ts';
import { parseBenchArgs } from './bench-args.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

// ─────────────── client mode ───────────────

type ClientKind = 'undici' | 'node-https' | 'raw-tls';

/**
 * Enrollments before the measured run, as a service that has been up a while has done: enough for every worker's
 * JIT to settle. With 300 (150 per worker) the CPU per enrollment was still falling: 2000 measured enrollments
 * cost 4.0–4.2 ms each, 6000 cost 3.4 ms. The warm-up's own rate is printed too.
 */
const DEFAULT_WARM_UP = 1500;
/** Rounds when setups are compared: six turns each, so a drift of the machine's speed falls on all of them alike. */
const DEFAULT_ROUNDS = 6;
/**
 * Enrollments per setup again just before the compared rounds (at most the warm-up): a setup warmed up first then
 * sits idle while the others start and fill (minutes with --prefill), its keep-alive connections closed and its
 * caches cooled, and its first measured round was the slowest by a few percent.
 */
const REWARM = 300;
interface Options {
  clients: number;
  enrollments: number;
  warmUp: number;
  workers: number;
  client: ClientKind;
  caSigner: 'software' | 'pkcs11';
  logLevel: string;
  /** postgres: the same run on SQLite first, then on PostgreSQL with `nodes` issuer processes, figures side by side. */
  storage: 'sqlite' | 'postgres';
  nodes: number;
  /** Finished enrollments written into the database before the warm-up (bench/issuer-prefill.ts). */
  prefill: number;
  /** Measured rounds, the setups taking turns (measureAlternating); 1 when there is one setup. */
  rounds: number;
  /** How the issuer nodes reach PostgreSQL: TCP on loopback (as from other machines), its Unix socket, or both setups. */
  postgresVia: PostgresVia | 'both';
  /** Prints the N statement texts PostgreSQL spent most on in the measured rounds (0: pg_stat_statements not loaded). */
  postgresStatements: number;
}

function parseOptions(args: string[]): Options {
  const parsed = parseBenchArgs(
    'bench:issuer',
    {
      clients: { kind: 'integer', default: 16 },
      enrollments: { kind: 'integer', default: 3000 },
      'warm-up': { kind: 'integer', default: DEFAULT_WARM_UP, least: 0 },
      workers: { kind: 'integer', default: 2 },
      client: { kind: 'choice', choices: ['undici', 'node-https', 'raw-tls'], default: 'raw-tls' },
      'ca-signer': { kind: 'choice', choices: ['software', 'pkcs11'], default: 'software' },
      'log-level': {
        kind: 'choice',
        choices: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'],
        default: 'info',
      },
      storage: { kind: 'choice', choices: ['sqlite', 'postgres'], default: 'sqlite' },
      nodes: { kind: 'integer', default: 1 },
      prefill: { kind: 'integer', default: 0, least: 0 },
      /** Default: DEFAULT_ROUNDS when setups are compared, else 1. */
      rounds: { kind: 'optional-integer' },
      'postgres-via': { kind: 'choice', choices: ['tcp', 'unix', 'both'], default: 'tcp' },
      'postgres-statements': { kind: 'integer', default: 0, least: 0 },
    },
    args,
  );
  const prefill = checkPrefillCount(parsed.prefill);
  const compared = parsed.storage === 'postgres' || prefill > 0;
  return {
    clients: parsed.clients,
    enrollments: parsed.enrollments,
    warmUp: parsed['warm-up'],
    workers: parsed.workers,
    client: parsed.client,
    caSigner: parsed['ca-signer'],
    logLevel: parsed['log-level'],
    storage: parsed.storage,
    nodes: parsed.nodes,
    prefill,
    rounds: parsed.rounds ?? (compared ? DEFAULT_ROUNDS : 1),
    postgresVia: parsed['postgres-via'],
    postgresStatements: parsed['postgres-statements'],
  };
}

/** The test suite's node:https client behind the bench interface: the "before" figure of the client's CPU. */
function nodeHttpsClient(baseUrl: string, tlsCertificatePem: string, connections: number): BenchHttpClient {
  const http = new IssuerHttpClient(baseUrl, tlsCertificatePem, connections);
  return {
    send: (method, path, options = {}) => http.send(method, path, options),
    // Agent.destroy() may run twice (the finally block after a normal end): it is idempotent.
    close: () => {
      http.close();
      return Promise.resolve();
    },
  };
}

/** Request latencies by endpoint name, of one setup's measured rounds. */
type Latencies = Map<string, number[]>;

async function timed<T>(
  latencies: Latencies,
  name: string,
  call: () => Promise<BenchAnswer<T>>,
  expected: number,
): Promise<T> {
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

function cardSign(key: KeyObject, card: IssuedCardCertificate, message: Uint8Array): string {
  return nodeSign(card.keyAlgorithm === 'P-384' ? 'sha384' : 'sha256', message, { key, dsaEncoding: 'der' }).toString(
    'base64url',
  );
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

interface Fixture {
  pki: TestPki;
  cards: Array<{ card: IssuedCardCertificate; key: KeyObject }>;
  csrs: string[];
  dataDir: string;
}

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
    cards.push({
      card,
      key: createPrivateKey({ key: Buffer.from(card.privateKeyPkcs8), format: 'der', type: 'pkcs8' }),
    });
  }
  const csrs = [];
  for (let i = 0; i < 32; i += 1) csrs.push(await makeCsr());
  return { pki, cards, csrs, dataDir };
}

async function enrollOnce(http: BenchHttpClient, fixture: Fixture, n: number, latencies: Latencies): Promise<void> {
  const { card, key } = fixture.cards[n % fixture.cards.length]!;
  const csr = fixture.csrs[n % fixture.csrs.length]!;
  const device = await timed<DeviceAuthorizationResponse>(
    latencies,
    'device_authorization',
    () => sendRoute(http, 'deviceAuthorization', { body: { client_id: 'dck-phone' }, form: true }),
    200,
  );
  const issued = await timed<ChallengeResponse>(
    latencies,
    'pki-auth/challenge',
    () => sendRoute(http, 'pkiAuthChallenge', { body: { kioskId: 'bench' } }),
    200,
  );
  const kioskNonce = newKioskNonce();
  const signature = cardSign(
    key,
    card,
    pkiAuthMessageBytes(new Uint8Array(Buffer.from(issued.challenge, 'base64url')), kioskNonce),
  );
  const session = await timed<KioskSession>(
    latencies,
    'pki-auth/response',
    () =>
      sendRoute(http, 'pkiAuthResponse', {
        body: {
          challengeId: issued.challengeId,
          kioskNonce: Buffer.from(kioskNonce).toString('base64url'),
          certificate: Buffer.from(card.der).toString('base64url'),
          signature,
        },
      }),
    200,
  );
  const pairing = await timed<DevicePairing>(
    latencies,
    'device-pairings (show)',
    () => sendRoute(http, 'devicePairings', { body: { userCode: device.user_code }, bearer: session.sessionToken }),
    200,
  );
  const code = await timed<EnrollmentCode>(
    latencies,
    'enrollments (approve)',
    () =>
      sendRoute(http, 'approveUserCode', {
        body: { userCode: device.user_code, matchNumber: pairing.matchNumber },
        bearer: session.sessionToken,
      }),
    201,
  );
  const token = await timed<TokenResponse>(
    latencies,
    'token',
    () =>
      sendRoute(http, 'token', {
        body: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.device_code, client_id: 'dck-phone' },
        form: true,
      }),
    200,
  );
  await timed(
    latencies,
    'redeem',
    () =>
      sendRoute(http, 'redeemEnrollment', {
        params: { enrollmentId: code.enrollmentId },
        body: { otp: code.otp, csr },
        bearer: token.access_token,
      }),
    200,
  );
}

/** The signature work of one enrollment, alone: card signature, 2 certificates, 2 CRLs, the CSR, the new certificate. */
async function cryptoFloor(
  fixture: Fixture,
  seconds: number,
): Promise<{ rawPerSecond: number; verifierPerSecond: number; verifierCpuMs: number }> {
  const { card, key } = fixture.cards[0]!;
  const issuerNonce = new Uint8Array(32).fill(7);
  const kioskNonce = new Uint8Array(32).fill(8);
  const message = pkiAuthMessageBytes(issuerNonce, kioskNonce);
  const signature = Buffer.from(cardSign(key, card, message), 'base64url');
  const cardPublic = createPublicKey({
    key: Buffer.from(card.certificate.publicKey.rawData),
    format: 'der',
    type: 'spki',
  });
  const intermediatePublic = createPublicKey({
    key: Buffer.from(fixture.pki.intermediate.certificate.publicKey.rawData),
    format: 'der',
    type: 'spki',
  });
  const rootPublic = createPublicKey({
    key: Buffer.from(fixture.pki.root.certificate.publicKey.rawData),
    format: 'der',
    type: 'spki',
  });
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
    nodeVerify('sha256', message, cardPublic, signature);
    cardCertificate.verify(intermediatePublic);
    intermediateCertificate.verify(rootPublic);
    // Two CRL signature checks cost the same as two certificate checks (same keys, same algorithm).
    cardCertificate.verify(intermediatePublic);
    intermediateCertificate.verify(rootPublic);
    checkCsr(csr);
    await issueDerivedCertificate(ca, {
      subjectPublicKeySpkiDer: csrCheck.subjectPublicKeySpkiDer,
      cardholderCommonName: 'x',
      cardholderUuid: card.uuid,
      cardCertificateNotAfter: card.certificate.notAfter,
      lifetimeDays: 365,
      now: new Date(),
      revocationUrls: revocationUrls('https://127.0.0.1:8443', 1),
    });
    rounds += 1;
  }
  const rawPerSecond = rounds / seconds;

  const policy: PivTrustPolicy = {
    trustAnchorsDer: [fixture.pki.root.der],
    intermediatesDer: [fixture.pki.intermediate.der],
    requiredPolicyOids: ['2.16.840.1.101.3.2.1.3.13'],
    crlUrls: [],
    crlFiles: [join(fixture.dataDir, 'root.crl'), join(fixture.dataDir, 'intermediate.crl')],
    ocspUrl: null,
  };
  // New cards only (its verdict cache would otherwise answer): a fresh policy object has empty caches. The cards'
  // signatures are made before the clock starts, so the figure is the verifier's work alone. One warm-up card
  // loads the CRLs and validates the CA part once, as a running issuer has done long before.
  const signed = fixture.cards.map(({ card: fresh, key: freshKey }) => ({
    fresh,
    signature: new Uint8Array(Buffer.from(cardSign(freshKey, fresh, message), 'base64url')),
  }));
  const verifyOne = async ({
    fresh,
    signature: freshSignature,
  }: {
    fresh: IssuedCardCertificate;
    signature: Uint8Array;
  }) => {
    const result = await verifyCardAuthentication(
      { issuerNonce, kioskNonce, signature: freshSignature, certificateDer: fresh.der },
      policy,
    );
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

/** CPU clock ticks per second, for /proc/<pid>/stat. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU milliseconds (all threads) a process has used, from /proc (Linux): in user space and in the kernel. */
function processCpu(pid: number): { userMs: number; systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name "(…)", which may itself contain spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(fields[11]) * 1000) / CLOCK_TICKS, systemMs: (Number(fields[12]) * 1000) / CLOCK_TICKS };
}

function writeIssuerConfig(dataDir: string, extra: Record<string, unknown>): string {
  const file = join(dataDir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...extra,
      pivTrust: {
        trustAnchorFiles: [join(dataDir, 'root.der')],
        intermediateFiles: [join(dataDir, 'intermediate.der')],
        crlFiles: [join(dataDir, 'root.crl'), join(dataDir, 'intermediate.crl')],
      },
      rateLimits: {
        requestsPerMinute: 10_000_000,
        codeGuessesPerMinute: 100_000,
        unauthenticatedPerAddressPerMinute: 10_000_000,
        unauthenticatedServicePerMinute: 10_000_000,
      },
    }),
  );
  return file;
}

/** `dck issuer --workers W` in its own process group of processes; its URL and pids read from what it prints. */
async function startIssuerProcess(dataDir: string, options: Options, storage: Record<string, unknown> | null) {
  const { workers } = options;
  const token = options.caSigner === 'pkcs11' ? createBenchCaToken(dataDir) : null;
  const extraConfig = {
    operations: { logLevel: options.logLevel },
    ...(token === null ? {} : { ca: token.caConfig }),
    ...(storage === null ? {} : { storage }),
  };
  // BENCH_ISSUER_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" profiles the primary and (inherited) every worker.
  const extraFlags = (process.env.BENCH_ISSUER_SERVER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const dck = fileURLToPath(new URL('../bin/dck.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      ...extraFlags,
      dck,
      'issuer',
      '--workers',
      String(workers),
      '--config',
      writeIssuerConfig(dataDir, extraConfig),
      '--data',
      dataDir,
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: token?.env ?? process.env },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const printed: string[] = [];
  const lines = createInterface({ input: child.stdout });
  const workersLine = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      printed.push(line);
      if (line.startsWith('workers: ')) resolve(line);
    });
    void exited.then(() => reject(new Error(`dck issuer exited before listening:\n${printed.join('\n')}`)));
  });
  const url = /issuer listening on (\S+)/.exec(printed.join('\n'))?.[1];
  if (url === undefined || child.pid === undefined)
    throw new Error(`dck issuer printed no URL:\n${printed.join('\n')}`);
  const primaryPid = child.pid;
  const workerPids = /pids ([\d ]+);/.exec(workersLine)?.[1]?.split(' ').map(Number) ?? [];
  const pids = [primaryPid, ...workerPids];
  return {
    url,
    tlsCertificatePem: readFileSync(join(dataDir, 'tls-certificate.pem'), 'utf8'),
    primaryPid,
    workerPids,
    /** CPU used so far by each issuer process (the primary first). */
    cpu: () => pids.map(processCpu),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function printLatencies(latencies: Latencies): void {
  console.log('\nlatency per endpoint (ms):');
  for (const [name, list] of latencies) {
    const sorted = [...list].sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(24)} p50 ${percentile(sorted, 50).toFixed(2).padStart(7)}   p99 ${percentile(sorted, 99).toFixed(2).padStart(7)}   n=${sorted.length}`,
    );
  }
}

/** BENCH_ISSUER_CLIENT_PROFILE=FILE: a CPU profile of this client during the measured run only. */
async function startClientProfile(): Promise<() => Promise<void>> {
  const file = process.env.BENCH_ISSUER_CLIENT_PROFILE;
  if (file === undefined || file === '') return () => Promise.resolve();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/** Several `dck issuer` processes on one database, one after the other (the first creates the data dir's files). */
async function startNodes(dataDir: string, options: Options, storage: Record<string, unknown> | null) {
  const nodes: Array<Awaited<ReturnType<typeof startIssuerProcess>>> = [];
  for (let n = 0; n < (storage === null ? 1 : options.nodes); n += 1) {
    nodes.push(await startIssuerProcess(dataDir, options, storage));
  }
  return {
    nodes,
    primaryPid: nodes[0]?.primaryPid ?? 0,
    workerPids: nodes.flatMap((node) => [...(node === nodes[0] ? [] : [node.primaryPid]), ...node.workerPids]),
    cpu: () => nodes.flatMap((node) => node.cpu()),
    stop: async () => {
      for (const node of nodes) await node.stop();
    },
  };
}

/** What one setup is: a backend, and how many finished enrollments its database holds before the warm-up. */
interface SetupSpec {
  storageKind: 'sqlite' | 'postgres';
  prefill: number;
  /** PostgreSQL only: how the nodes reach it. */
  via: PostgresVia;
}

type PostgresVia = 'tcp' | 'unix';

/** One issuer deployment under test (one node on SQLite, `--nodes` on PostgreSQL) on its own database, warmed up. */
interface Setup {
  spec: SetupSpec;
  label: string;
  fixture: Fixture;
  server: Awaited<ReturnType<typeof startNodes>>;
  /** One client per node; each concurrent client stays on one node (sticky sessions behind a load balancer). */
  clients: BenchHttpClient[];
  /** PostgreSQL: the CPU milliseconds each of the cluster's processes has used so far; SQLite: null (in-process). */
  databaseCpu: (() => Map<number, number>) | null;
  latencies: Latencies;
  /** The next card to enroll: one card per enrollment (the PKI-AUTH verifier caches its verdict per certificate). */
  nextCard: number;
  measured: {
    enrollments: number;
    seconds: number;
    /** Per issuer process (the primary first), over the measured rounds only. */
    serverUserMs: number[];
    serverSystemMs: number[];
    clientCpuMs: number;
    /** The cluster's CPU during this setup's rounds (its backends and background writers; the others sit idle). */
    databaseCpuMs: number;
    roundRates: number[];
    /** The issuer's CPU per enrollment in each round (a round that stalls shows whether it worked or waited). */
    roundCpuMs: number[];
  };
}

function setupLabel(spec: SetupSpec, options: Options): string {
  const backend =
    spec.storageKind === 'sqlite'
      ? `SQLite (one node × --workers ${options.workers})`
      : `PostgreSQL (${options.nodes} nodes × --workers ${options.workers}${spec.via === 'unix' ? ', Unix socket' : ''})`;
  return spec.prefill === 0 ? backend : `${backend}, ${spec.prefill.toLocaleString('en')} enrollments already in`;
}

/** Enrolls `count` more cards on `setup`, `options.clients` at a time. */
async function enrollMore(setup: Setup, options: Options, count: number): Promise<void> {
  const end = setup.nextCard + count;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      const node = setup.clients[client % setup.clients.length];
      if (node === undefined) return;
      while (setup.nextCard < end) {
        const n = setup.nextCard;
        setup.nextCard += 1;
        await enrollOnce(node, setup.fixture, n, setup.latencies);
      }
    }),
  );
}

/** One enrollment made alone (the template), then `count` copies of it written straight into the database. */
async function prefill(
  count: number,
  fixture: Fixture,
  client: BenchHttpClient,
  database: PostgresSettings | null,
): Promise<void> {
  await enrollOnce(client, fixture, 0, new Map());
  const started = performance.now();
  let reported = 0;
  const written = await prefillEnrollments(
    database === null ? { kind: 'sqlite', dataDir: fixture.dataDir } : { kind: 'postgres', settings: database },
    count,
    (done) => {
      // Every 100,000 enrollments (and at the end): how far, and the rate so far.
      if (done.enrollments - reported < 100_000 && done.enrollments < count) return;
      reported = done.enrollments;
      const elapsed = (performance.now() - started) / 1000;
      console.log(
        `  prefill: ${done.enrollments.toLocaleString('en')} of ${count.toLocaleString('en')} enrollments written ` +
          `in ${elapsed.toFixed(0)} s (${(done.enrollments / elapsed).toFixed(0)} enrollments/s, ` +
          `${(done.rows / elapsed).toFixed(0)} rows/s)`,
      );
    },
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `prefill: ${written.enrollments.toLocaleString('en')} finished enrollments (+ ${written.auditRows.toLocaleString('en')} chained audit rows) ` +
      `already in the database before the warm-up, written in ${seconds.toFixed(1)} s (${(written.enrollments / seconds).toFixed(0)}/s, ` +
      `${written.rows.toLocaleString('en')} rows: ${(written.rows / seconds).toFixed(0)} rows/s)`,
  );
}

/** Starts the issuer(s) of one setup, fills its database if asked, and warms it up. */
async function startSetup(
  options: Options,
  spec: SetupSpec,
  database: PostgresSettings | null,
  cardCount: number,
  cluster: PostgresServer | null,
): Promise<Setup> {
  const label = setupLabel(spec, options);
  console.log(`\nstarting ${label}`);
  const storage = database === null ? null : { kind: 'postgres', url: database.url, poolSize: 10 };
  const fixture = await prepare(cardCount);
  const server = await startNodes(fixture.dataDir, options, storage);
  const makeClient = { undici: undiciClient, 'node-https': nodeHttpsClient, 'raw-tls': rawTlsClient }[options.client];
  try {
    // Before the measured clients connect: the issuer closes keep-alive connections left idle through a long prefill.
    if (spec.prefill > 0) {
      const [first] = server.nodes;
      if (first === undefined) throw new Error('no issuer to enroll against');
      const templateClient = makeClient(first.url, first.tlsCertificatePem, 1);
      try {
        await prefill(spec.prefill, fixture, templateClient, database);
      } finally {
        await templateClient.close();
      }
    }
    const nodeCount = server.nodes.length;
    const setup: Setup = {
      spec,
      label,
      fixture,
      server,
      clients: server.nodes.map((node) =>
        makeClient(node.url, node.tlsCertificatePem, Math.ceil(options.clients / nodeCount)),
      ),
      databaseCpu: database === null || cluster === null ? null : () => clusterCpu(cluster),
      latencies: new Map(),
      nextCard: 0,
      measured: {
        enrollments: 0,
        seconds: 0,
        serverUserMs: [],
        serverSystemMs: [],
        clientCpuMs: 0,
        databaseCpuMs: 0,
        roundRates: [],
        roundCpuMs: [],
      },
    };
    // Warm-up, as a running service is: TLS sessions, every worker's JIT, CRL and CA-path caches.
    const started = performance.now();
    await enrollMore(setup, options, options.warmUp);
    const seconds = (performance.now() - started) / 1000;
    setup.latencies.clear();
    if (options.warmUp > 0) {
      console.log(
        `  warm-up, not counted: ${options.warmUp} enrollments at ${(options.warmUp / seconds).toFixed(1)}/s (fresh processes, JIT settling)`,
      );
    }
    return setup;
  } catch (error: unknown) {
    await server.stop();
    rmSync(fixture.dataDir, { recursive: true, force: true });
    throw error;
  }
}

const rewarmCount = (options: Options, setupCount: number): number =>
  setupCount > 1 ? Math.min(REWARM, options.warmUp) : 0;

/** Every setup warmed up again, in turn, just before the compared rounds (REWARM); nothing with one setup. */
async function rewarm(setups: Setup[], options: Options): Promise<void> {
  const count = rewarmCount(options, setups.length);
  if (count === 0) return;
  for (const setup of setups) {
    const started = performance.now();
    await enrollMore(setup, options, count);
    setup.latencies.clear();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  ${setup.label}: warmed up again, not counted: ${count} enrollments at ${(count / seconds).toFixed(1)}/s`,
    );
  }
}

/** One measured round of `count` enrollments on `setup`: its time and the CPU of its processes and this client. */
async function measureRound(setup: Setup, options: Options, count: number): Promise<void> {
  const serverBefore = setup.server.cpu();
  const databaseBefore = setup.databaseCpu?.() ?? new Map<number, number>();
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  await enrollMore(setup, options, count);
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const m = setup.measured;
  let roundCpuMs = 0;
  setup.server.cpu().forEach(({ userMs, systemMs }, i) => {
    const user = userMs - (serverBefore[i]?.userMs ?? 0);
    const system = systemMs - (serverBefore[i]?.systemMs ?? 0);
    m.serverUserMs[i] = (m.serverUserMs[i] ?? 0) + user;
    m.serverSystemMs[i] = (m.serverSystemMs[i] ?? 0) + system;
    roundCpuMs += user + system;
  });
  m.roundCpuMs.push(roundCpuMs / count);
  m.clientCpuMs += (client.user + client.system) / 1000;
  // A backend that started during the round counts whole; one that ended during it is lost (the pools keep theirs).
  for (const [pid, ms] of setup.databaseCpu?.() ?? []) m.databaseCpuMs += ms - (databaseBefore.get(pid) ?? 0);
  m.enrollments += count;
  m.seconds += seconds;
  m.roundRates.push(count / seconds);
}

/** Round sizes that add up to `total`: the first `total % rounds` rounds take one more. */
function roundSizes(total: number, rounds: number): number[] {
  return Array.from({ length: rounds }, (_, i) => Math.floor(total / rounds) + (i < total % rounds ? 1 : 0));
}

/**
 * Every setup measured in the same rounds, in turn: A B, then B A, then A B… A shared machine's speed drifts by tens
 * of percent within minutes (the crypto floor, a pure CPU loop, measured 1,487 and 850/s in two runs a minute
 * apart), so setups measured one after the other compare the machine's moments, not the setups.
 */
async function measureAlternating(setups: Setup[], options: Options): Promise<void> {
  const sizes = roundSizes(options.enrollments, options.rounds);
  for (const [round, size] of sizes.entries()) {
    const order = round % 2 === 0 ? setups : [...setups].reverse();
    for (const setup of order) await measureRound(setup, options, size);
  }
}

/** The figures of one setup over its measured rounds. Returns its enrollments per second. */
function reportSetup(setup: Setup, options: Options): { rate: number; serverMsPerEnrollment: number } {
  const m = setup.measured;
  const n = m.enrollments;
  const rate = n / m.seconds;
  const perProcess = m.serverUserMs.map((userMs, i) => userMs + (m.serverSystemMs[i] ?? 0));
  const serverCpuMs = perProcess.reduce((a, b) => a + b, 0);
  const serverSystemMs = m.serverSystemMs.reduce((a, b) => a + b, 0);
  const serverPerEnrollment = serverCpuMs / n;
  console.log(`\n${setup.label}:`);
  console.log(
    `complete enrollments: ${rate.toFixed(1)}/s (${n} in ${m.seconds.toFixed(2)} s, 6 HTTPS requests each, a new card each time)`,
  );
  if (m.roundRates.length > 1) {
    console.log(
      `  per round, enrollments/s (issuer CPU ms each): ${m.roundRates.map((r, i) => `${r.toFixed(1)} (${(m.roundCpuMs[i] ?? 0).toFixed(2)})`).join(', ')}`,
    );
  }
  console.log(
    `issuer CPU, all ${perProcess.length} processes: ${serverPerEnrollment.toFixed(2)} ms per enrollment (${(serverCpuMs / 1000 / m.seconds).toFixed(2)} cores busy)` +
      ` → ${(1000 / serverPerEnrollment).toFixed(0)} enrollments per issuer CPU-second;` +
      ` ${(serverSystemMs / n).toFixed(2)} ms of it in the kernel (system time)`,
  );
  const [primaryMs = 0, ...workerMs] = perProcess;
  console.log(
    `  primary pid ${setup.server.primaryPid}: ${(primaryMs / n).toFixed(3)} ms per enrollment` +
      (workerMs.length === 0 ? ' (serves the requests itself: --workers 1)' : ''),
  );
  workerMs.forEach((ms, i) => {
    console.log(
      `  worker pid ${setup.server.workerPids[i] ?? '?'}: ${(ms / n).toFixed(2)} ms per enrollment (${(ms / 1000 / m.seconds).toFixed(2)} cores)`,
    );
  });
  console.log(
    `client CPU (${options.clients} keep-alive HTTPS connections via ${options.client}, card signatures): ${(m.clientCpuMs / n).toFixed(2)} ms per enrollment` +
      ` (${(m.clientCpuMs / 1000 / m.seconds).toFixed(2)} cores), competing for the same CPUs`,
  );
  if (setup.databaseCpu !== null) {
    console.log(
      `PostgreSQL's own CPU (all its processes, during these rounds): ${(m.databaseCpuMs / n).toFixed(2)} ms per enrollment` +
        ` (${(m.databaseCpuMs / 1000 / m.seconds).toFixed(2)} cores); issuer + PostgreSQL: ${((serverCpuMs + m.databaseCpuMs) / n).toFixed(2)} ms`,
    );
  }
  const busyMs = serverCpuMs + m.clientCpuMs + m.databaseCpuMs;
  console.log(
    `cores busy, issuer + client${setup.databaseCpu === null ? '' : ' + PostgreSQL'}: ${(busyMs / 1000 / m.seconds).toFixed(2)} of ${cpus().length}`,
  );
  // Throughput is noisy when other work shares the machine; CPU per enrollment is not. This is what the same
  // CPU cost would give with these cores busy on this benchmark alone: bounded by all cores for issuer + client,
  // and by one core per issuer process (each runs its requests on one thread). No queueing or lock effects counted.
  const processes = setup.server.nodes.length * options.workers;
  const allCores = (cpus().length * 1000 * n) / busyMs;
  const oneCoreEach = (Math.min(processes, cpus().length) * 1000 * n) / serverCpuMs;
  console.log(
    `projection from CPU alone: ${Math.min(allCores, oneCoreEach).toFixed(0)} enrollments/s if these cores ran nothing else` +
      ` (${cpus().length} cores for issuer + client${setup.databaseCpu === null ? '' : ' + PostgreSQL'}: ${allCores.toFixed(0)}/s; ${Math.min(processes, cpus().length)} issuer process(es), one core each: ${oneCoreEach.toFixed(0)}/s)`,
  );
  printLatencies(setup.latencies);
  return { rate, serverMsPerEnrollment: serverPerEnrollment };
}

/** The crypto floor of one enrollment on this machine, beside the first setup's rate (issue 3's targets). */
async function reportCryptoFloor(fixture: Fixture, rate: number, serverMsPerEnrollment: number): Promise<void> {
  const floor = await cryptoFloor(fixture, 3);
  console.log(
    `\ncrypto floor, one thread (verify card signature, 2 certificates, 2 CRLs, the CSR; sign the derived certificate): ${floor.rawPerSecond.toFixed(1)} enrollments/s`,
  );
  console.log(
    `PKI-AUTH verifier alone (issuer/pki-auth, a new card each time, CRLs cached), one thread: ${floor.verifierPerSecond.toFixed(1)} verifications/s, ${floor.verifierCpuMs.toFixed(2)} ms CPU each`,
  );
  console.log(
    `crypto floor's share of the issuer's CPU per enrollment (the first setup's): ${((1000 / floor.rawPerSecond / serverMsPerEnrollment) * 100).toFixed(0)}%`,
  );
  console.log(
    `complete enrollments as a share of the crypto floor: ${((rate / floor.rawPerSecond) * 100).toFixed(1)}%`,
  );
  // The floor is one thread's, as the issue defines it; the enrollments use every core, so say what a floor with
  // every core doing nothing but crypto would make of the same figure (crypto scales almost linearly with cores).
  console.log(
    `  (against ${cpus().length} threads of crypto, ${(floor.rawPerSecond * cpus().length).toFixed(0)}/s if it scaled perfectly: ${((rate / (floor.rawPerSecond * cpus().length)) * 100).toFixed(1)}%)`,
  );
  console.log('targets (issue 3): ≥ 300 enrollments/s with SQLite on 2 cores; ≥ 30% of the crypto floor');
}

/** What the run compares: PostgreSQL against SQLite (issue 15: ≥ 60%), and each setup full against empty (≤ 10%). */
function reportComparisons(
  results: Array<{ spec: SetupSpec; label: string; rate: number; serverMsPerEnrollment: number }>,
  options: Options,
): void {
  const lines: string[] = [];
  for (const postgres of results.filter((r) => r.spec.storageKind === 'postgres')) {
    const sqlite = results.find((r) => r.spec.storageKind === 'sqlite' && r.spec.prefill === postgres.spec.prefill);
    if (sqlite === undefined) continue;
    lines.push(
      `${postgres.label} vs ${sqlite.label}: ${postgres.rate.toFixed(1)} vs ${sqlite.rate.toFixed(1)} enrollments/s = ` +
        `${((postgres.rate / sqlite.rate) * 100).toFixed(0)}% (target, issue 15: ≥ 60%)`,
    );
  }
  for (const full of results.filter((r) => r.spec.prefill > 0)) {
    const empty = results.find(
      (r) => r.spec.storageKind === full.spec.storageKind && r.spec.via === full.spec.via && r.spec.prefill === 0,
    );
    if (empty === undefined) continue;
    const change = (full.rate / empty.rate - 1) * 100;
    lines.push(
      `${full.label} vs empty: ${full.rate.toFixed(1)} vs ${empty.rate.toFixed(1)} enrollments/s ` +
        `(${change >= 0 ? '+' : ''}${change.toFixed(1)}%), issuer CPU ${full.serverMsPerEnrollment.toFixed(2)} vs ` +
        `${empty.serverMsPerEnrollment.toFixed(2)} ms per enrollment (target, issue 15: within 10%)`,
    );
  }
  if (lines.length === 0) return;
  console.log(
    `\nmeasured in ${options.rounds} alternating rounds (each setup in turn, the order reversed every round):`,
  );
  for (const line of lines) console.log(line);
}

/** The setups one run measures: SQLite, and PostgreSQL with --storage postgres; each empty and full with --prefill. */
function setupSpecs(options: Options): SetupSpec[] {
  const backends: Array<SetupSpec['storageKind']> = options.storage === 'sqlite' ? ['sqlite'] : ['sqlite', 'postgres'];
  const prefills = options.prefill > 0 ? [0, options.prefill] : [0];
  const vias: PostgresVia[] = options.postgresVia === 'both' ? ['tcp', 'unix'] : [options.postgresVia];
  return backends.flatMap((storageKind) =>
    (storageKind === 'sqlite' ? (['tcp'] as const) : vias).flatMap((via) =>
      prefills.map((prefill) => ({ storageKind, prefill, via })),
    ),
  );
}

async function benchmark(options: Options): Promise<void> {
  const specs = setupSpecs(options);
  console.log(
    `issuer benchmark: ${options.enrollments} enrollments per setup, ${options.clients} concurrent clients (${options.client}), ` +
      `dck issuer --workers ${options.workers}, CA key ${options.caSigner === 'pkcs11' ? 'in SoftHSM2 (PKCS#11)' : 'in process'}, ` +
      `log level ${options.logLevel}, ${cpus().length} CPUs, node ${process.version}` +
      (specs.length > 1 ? `; ${specs.length} setups measured in ${options.rounds} alternating rounds` : ''),
  );
  const postgres = specs.some((spec) => spec.storageKind === 'postgres')
    ? await startPostgres({ durable: true, maxConnections: 300, statementStats: options.postgresStatements > 0 })
    : null;
  const setups: Setup[] = [];
  let statementStats: StatementStats | null = null;
  /** Where pg_stat_statements is read from (it covers every database of the cluster). */
  let statsDatabase: PostgresSettings | null = null;
  const cleanUp = async (): Promise<void> => {
    await statementStats?.end().catch(() => undefined);
    for (const setup of setups) {
      await stopSetup(setup);
      rmSync(setup.fixture.dataDir, { recursive: true, force: true });
    }
    await postgres?.destroy();
  };
  const stopOnInterrupt = stopEverythingOnInterrupt(cleanUp);
  try {
    for (const spec of specs) {
      const database =
        spec.storageKind === 'postgres' && postgres !== null ? await createBenchDatabase(postgres, spec.via) : null;
      statsDatabase ??= database;
      const cards = options.warmUp + rewarmCount(options, specs.length) + options.enrollments + 1;
      setups.push(await startSetup(options, spec, database, cards, postgres));
    }
    await rewarm(setups, options);
    if (options.postgresStatements > 0 && statsDatabase !== null) {
      statementStats = await openStatementStats(statsDatabase.url);
      await statementStats.reset();
    }
    const loadBefore = loadavg();
    const stopProfile = await startClientProfile();
    await measureAlternating(setups, options);
    await stopProfile();
    const loadAfter = loadavg();
    for (const setup of setups) await stopSetup(setup);
    const results = setups.map((setup) => ({ spec: setup.spec, label: setup.label, ...reportSetup(setup, options) }));
    console.log(
      `\nload average (1/5/15 min) before the measured rounds ${formatLoad(loadBefore)}, after ${formatLoad(loadAfter)} — other processes share these ${cpus().length} CPUs`,
    );
    reportComparisons(results, options);
    await statementStats?.report(options.postgresStatements, options.enrollments);
    const [first] = results;
    const [firstSetup] = setups;
    if (first !== undefined && firstSetup !== undefined)
      await reportCryptoFloor(firstSetup.fixture, first.rate, first.serverMsPerEnrollment);
  } finally {
    stopOnInterrupt();
    await cleanUp();
  }
}

/**
 * Ctrl-C or a kill during a run stops the issuers and the PostgreSQL cluster before the bench exits: without it they
 * were left running (a killed run left four `dck issuer` processes and a cluster behind, busying the cores the next
 * measurement needs). A setup still starting when the signal comes is not in `setups` yet, so it is not stopped here
 * (tried once: its issuer had gone, its temporary directory stayed). Returns the function that removes the handlers.
 */
function stopEverythingOnInterrupt(cleanUp: () => Promise<void>): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nbench:issuer: ${signal}, stopping the issuers and the database first`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** A database on the bench's cluster, reached as --postgres-via says (the storage URL's host may be a socket directory). */
async function createBenchDatabase(server: PostgresServer, via: PostgresVia): Promise<PostgresSettings> {
  const database = await server.createDatabase();
  if (via === 'tcp') return database;
  const url = new URL(database.url);
  return {
    ...database,
    url: database.url.replace(url.host, `${encodeURIComponent(server.socketDirectory)}:${url.port}`),
  };
}

/** CPU milliseconds used so far by each process of the cluster (a process gone meanwhile is left out). */
function clusterCpu(cluster: PostgresServer): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of cluster.processes()) {
    try {
      const { userMs, systemMs } = processCpu(pid);
      used.set(pid, userMs + systemMs);
    } catch {
      // Ended between the listing and the read: its last figures are gone with it.
    }
  }
  return used;
}

/** Closes a setup's clients and stops its issuers (again is harmless). */
async function stopSetup(setup: Setup): Promise<void> {
  for (const client of setup.clients) await client.close();
  await setup.server.stop();
}

// A bad flag rejects too (parseOptions inside the chain): one message, no stack trace.
Promise.resolve()
  .then(() => benchmark(parseOptions(process.argv.slice(2))))
  .catch((error: unknown) => {
    console.error(`bench:issuer failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
