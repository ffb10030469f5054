// kill -9 of an issuer node under load: two `dck issuer` processes (real processes, standing in for two machines) on
// one PostgreSQL database, kiosks and phones enrolling on both, every enrollment redeemed on both nodes at once. The
// node holding the background-job leases is SIGKILLed mid-load. Then: no enrollment has two certificates, every
// certificate has its `redeem` audit row, every certificate a phone received is in the database, the audit log
// verifies (`dck admin audit verify`: the killed process's chain may end early, never broken), the other node goes on
// serving, and takes over the leases.
import 'reflect-metadata';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCrl } from '../../../../virtual-card/revocation.ts';
import { createTestPki } from '../../../../virtual-card/test-pki.ts';
import type { TestPki } from '../../../../virtual-card/test-pki.ts';
import { IssuerHttpClient } from '../issuer-client.ts';
import { approve, kioskSignIn, makeCsr, phonePoll, phoneStart, redeem } from '../issuer-fixture.ts';
import { startPostgres } from '../storage/postgres-server.ts';
import type { PostgresServer } from '../storage/postgres-server.ts';

const runFile = promisify(execFile);

interface Node {
  child: ChildProcess;
  pid: number;
  http: IssuerHttpClient;
  output: string[];
  exited: Promise<void>;
}

/** Workers running the flow side by side: enough to have requests in flight on both nodes at the kill. */
const CONCURRENCY = 6;
/** Certificates issued before the kill, and after it on the surviving node. */
const ISSUED_BEFORE_KILL = 12;
const ISSUED_AFTER_KILL = 8;
/** The jobs whose lease must move (maintenance.purgeIntervalSeconds and eligibility.tickSeconds are 1 s here). */
const LEASES = ['maintenance', 'eligibility'];

let server: PostgresServer;
let database: pg.Client;
let pki: TestPki;
let dataDir = '';
let configFile = '';
const nodes: Node[] = [];
let cardSerial = 0;

async function startNode(): Promise<Node> {
  const child = spawn(
    process.execPath,
    ['bin/dck.js', 'issuer', '--workers', '1', '--config', configFile, '--data', dataDir, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      const match = /^issuer listening on (\S+)/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`dck issuer exited before listening:\n${output.join('\n')}`)));
  });
  const tlsPem = readFileSync(join(dataDir, 'tls-certificate.pem'), 'utf8');
  return { child, pid: child.pid ?? 0, http: new IssuerHttpClient(url, tlsPem, CONCURRENCY * 2), output, exited };
}

/** Lease name → the pid in its holder (`host:pid:random`), for leases not yet lapsed. */
async function leaseHolders(): Promise<Map<string, number>> {
  const { rows } = await database.query<{ name: string; holder: string }>(
    'SELECT name, holder FROM job_leases WHERE expires_at > $1',
    [Date.now()],
  );
  return new Map(rows.map((row) => [row.name, Number(row.holder.split(':').at(-2))]));
}

async function waitFor<T>(what: string, probe: () => Promise<T | null> | T | null, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  server = await startPostgres();
  const settings = await server.createDatabase();
  database = new pg.Client({ connectionString: settings.url });
  await database.connect();
  dataDir = mkdtempSync(join(tmpdir(), 'dck-node-kill-'));
  pki = await createTestPki();
  const nextUpdate = new Date(Date.now() + 86_400_000);
  writeFileSync(join(dataDir, 'root.der'), pki.root.der);
  writeFileSync(join(dataDir, 'intermediate.der'), pki.intermediate.der);
  writeFileSync(join(dataDir, 'root.crl'), await buildCrl({ issuer: pki.root, nextUpdate }));
  writeFileSync(join(dataDir, 'intermediate.crl'), await buildCrl({ issuer: pki.intermediate, nextUpdate }));
  configFile = join(dataDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      storage: { kind: 'postgres', url: settings.url, poolSize: 10 },
      pivTrust: {
        trustAnchorFiles: [join(dataDir, 'root.der')],
        intermediateFiles: [join(dataDir, 'intermediate.der')],
        crlFiles: [join(dataDir, 'root.crl'), join(dataDir, 'intermediate.crl')],
      },
      rateLimits: {
        codeGuessesPerMinute: 100_000,
        unauthenticatedPerAddressPerMinute: 100_000,
        unauthenticatedServicePerMinute: 100_000,
      },
      maintenance: { purgeIntervalSeconds: 1 },
      eligibility: { tickSeconds: 1 },
      operations: { logLevel: 'warn' },
    }),
  );
  // One after the other: the first creates the CA, server secret and TLS identity in the shared data dir (what an
  // operator copies to every node), the second loads them.
  nodes.push(await startNode());
  nodes.push(await startNode());
}, 120_000);

afterAll(async () => {
  for (const node of nodes) {
    node.http.close();
    if (node.child.exitCode === null && node.child.signalCode === null) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
  }
  await database?.end();
  await server?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

interface LoadResult {
  /** Certificates the phones received as issued (200 answers), with their enrollment. */
  received: Array<{ enrollmentId: string; serialNumberHex: string; node: number }>;
  /** The same phone's redeem on the other node after one had issued: the stored certificate sent again (200 too). */
  repeated: Array<{ enrollmentId: string; serialNumberHex: string }>;
  /** Requests that failed without an answer (the killed node's connections). */
  failures: number;
  /** A wrong answer: ends the load and fails the test. */
  error: Error | null;
}

/**
 * Flows until `stop()`: the kiosk on one node, the phone on the other (alternating), then the phone's redeem sent to
 * both nodes at once. Only live nodes get new flows.
 */
function runLoad(alive: () => number[]) {
  const result: LoadResult = { received: [], repeated: [], failures: 0, error: null };
  let stopped = false;
  const flow = async (turn: number) => {
    const live = alive();
    const kiosk = nodes[live[turn % live.length] ?? 0];
    const phone = nodes[live[(turn + 1) % live.length] ?? 0];
    if (kiosk === undefined || phone === undefined) return;
    const card = await pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: `Node Kill Cardholder ${(cardSerial += 1)}`,
    });
    const device = await phoneStart(phone.http);
    const session = await kioskSignIn(kiosk.http, card);
    const approved = await approve(kiosk.http, session.sessionToken, device.user_code);
    if (approved.status !== 201) throw new Error(`approve: ${approved.text}`);
    const token = await phonePoll(phone.http, device.device_code);
    if (token.status !== 200) throw new Error(`token: ${token.text}`);
    const csr = await makeCsr();
    await Promise.all(
      alive().map(async (index) => {
        const node = nodes[index];
        if (node === undefined) return;
        const answer = await redeem(
          node.http,
          token.body.access_token,
          approved.body.enrollmentId,
          approved.body.otp,
          csr,
        );
        if (answer.status === 200 && answer.body.repeatedDelivery === true)
          result.repeated.push({
            enrollmentId: approved.body.enrollmentId,
            serialNumberHex: answer.body.serialNumberHex,
          });
        else if (answer.status === 200)
          result.received.push({
            enrollmentId: approved.body.enrollmentId,
            serialNumberHex: answer.body.serialNumberHex,
            node: index,
          });
        else if (answer.status !== 409) throw new Error(`redeem on node ${index}: ${answer.status} ${answer.text}`);
      }),
    );
  };
  const worker = async (id: number) => {
    for (let turn = id; !stopped; turn += 1) {
      try {
        await flow(turn);
      } catch (error: unknown) {
        // A request cut by the kill has no answer; any answer that is wrong fails the test.
        if (error instanceof Error && 'code' in error) result.failures += 1;
        else {
          result.error = error instanceof Error ? error : new Error(String(error));
          stopped = true;
        }
      }
    }
  };
  const running = Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => worker(id)));
  return {
    result,
    /** Resolves with `value` (checked on each probe), throws the load's wrong answer if there was one. */
    until: (value: () => boolean) => {
      if (result.error !== null) throw result.error;
      return value() ? true : null;
    },
    stop: async () => {
      stopped = true;
      await running;
      if (result.error !== null) throw result.error;
    },
  };
}

describe('kill -9 of one of two issuer nodes on one PostgreSQL database, under load', () => {
  it('issues no enrollment twice, loses no audit row, and the other node serves on and takes over the leases', async () => {
    // The victim is the node holding every lease at the kill (the first started takes them; wait until it has).
    const holders = await waitFor('both leases held by one node', async () => {
      const held = await leaseHolders();
      const pids = new Set(LEASES.map((name) => held.get(name)));
      return pids.size === 1 && !pids.has(undefined) ? held : null;
    });
    const victimIndex = nodes.findIndex((node) => node.pid === holders.get('maintenance'));
    expect(victimIndex).toBeGreaterThanOrEqual(0);
    const survivorIndex = 1 - victimIndex;
    const victim = nodes[victimIndex] as Node;
    const survivor = nodes[survivorIndex] as Node;

    let killed = false;
    const load = runLoad(() => (killed ? [survivorIndex] : [0, 1]));
    await waitFor(
      'certificates before the kill',
      () => load.until(() => load.result.received.length >= ISSUED_BEFORE_KILL),
      120_000,
    );
    victim.child.kill('SIGKILL');
    killed = true;
    await victim.exited;
    const issuedAtKill = load.result.received.length;
    await waitFor(
      'certificates from the surviving node after the kill',
      () => load.until(() => load.result.received.length >= issuedAtKill + ISSUED_AFTER_KILL),
      120_000,
    );
    await load.stop();

    // Both nodes issued before the kill; the survivor alone after it.
    const byNode = (index: number) => load.result.received.filter((entry) => entry.node === index).length;
    expect(byNode(victimIndex)).toBeGreaterThan(0);
    expect(byNode(survivorIndex)).toBeGreaterThan(ISSUED_AFTER_KILL - 1);
    expect(new Set(load.result.received.map((entry) => entry.enrollmentId)).size).toBe(load.result.received.length);

    // One certificate per enrollment, each with its redeem audit row, and every certificate a phone got is stored.
    const twice = await database.query(
      'SELECT enrollment_id FROM derived_certificates GROUP BY enrollment_id HAVING count(*) > 1',
    );
    expect(twice.rows).toEqual([]);
    const unaudited = await database.query(
      `SELECT serial_number_hex FROM derived_certificates certificate WHERE NOT EXISTS (
         SELECT 1 FROM audit_log WHERE event = 'redeem' AND outcome = 'success'
           AND (details::jsonb)->>'derivedSerial' = certificate.serial_number_hex)`,
    );
    expect(unaudited.rows).toEqual([]);
    const stored = await database.query<{ serial_number_hex: string; enrollment_id: string }>(
      'SELECT serial_number_hex, enrollment_id FROM derived_certificates',
    );
    const storedSerials = new Map(stored.rows.map((row) => [row.serial_number_hex, row.enrollment_id]));
    for (const entry of load.result.received) expect(storedSerials.get(entry.serialNumberHex)).toBe(entry.enrollmentId);
    // A repeated delivery is the enrollment's one certificate, never another.
    for (const entry of load.result.repeated) expect(storedSerials.get(entry.serialNumberHex)).toBe(entry.enrollmentId);
    // Completed enrollments point at their one certificate.
    const dangling = await database.query(
      `SELECT id FROM enrollments e WHERE status = 'completed' AND NOT EXISTS (
         SELECT 1 FROM derived_certificates d WHERE d.serial_number_hex = e.derived_certificate_serial_hex
           AND d.enrollment_id = e.id)`,
    );
    expect(dangling.rows).toEqual([]);

    // The audit log verifies, the killed node's chain included.
    const verified = await runFile(
      process.execPath,
      ['bin/dck.js', 'admin', 'audit', 'verify', '--json', '--config', configFile, '--data', dataDir],
      { encoding: 'utf8' },
    );
    const report = JSON.parse(verified.stdout) as { verified: boolean; chains: number; rows: number };
    expect(report.verified).toBe(true);
    expect(report.chains).toBeGreaterThanOrEqual(2);

    // The survivor takes over every lease the victim held, within two intervals (2 s) of its lapse.
    const moved = await waitFor('the leases on the surviving node', async () => {
      const held = await leaseHolders();
      return LEASES.every((name) => held.get(name) === survivor.pid) ? held : null;
    });
    for (const name of LEASES) expect(moved.get(name)).toBe(survivor.pid);
    expect(survivor.child.exitCode).toBeNull();
  }, 300_000);
});
