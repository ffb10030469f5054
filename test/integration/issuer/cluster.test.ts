// `dck issuer --workers 2` as a user runs it: real processes (a primary and two workers), one SQLite file, HTTPS
// on loopback. Each client below keeps ONE keep-alive connection, so all its requests reach one worker; the
// debug-only x-dck-debug-worker header (set only when DCK_ISSUER_DEBUG_WORKER_HEADER=1) says which one, so the
// kiosk's wait and the phone's redeem are put on different workers on purpose.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER_API, routePath } from '../../../contracts/issuer-routes.ts';
import type { EnrollmentStatus } from '../../../contracts/issuer-api.ts';
import { buildCrl } from '../../../virtual-card/revocation.ts';
import { createTestPki } from '../../../virtual-card/test-pki.ts';
import type { IssuedCardCertificate, TestPki } from '../../../virtual-card/test-pki.ts';
import { IssuerHttpClient } from './issuer-client.ts';
import { approve, kioskSignIn, makeCsr, phonePoll, phoneStart, redeem } from './issuer-fixture.ts';

/** An IssuerHttpClient held to one keep-alive connection (maxSockets 1), remembering which worker answered last. */
class PinnedClient extends IssuerHttpClient {
  lastWorker: string | null = null;
  /** The local port of the connection that carried the last answer: same port, same connection, same worker. */
  lastLocalPort: number | null = null;

  constructor(url: string) {
    super(url, cluster.tlsPem, 1);
  }

  protected override onResponse(response: IncomingMessage): void {
    const worker = response.headers['x-dck-debug-worker'];
    this.lastWorker = typeof worker === 'string' ? worker : null;
    this.lastLocalPort = response.socket.localPort ?? null;
  }

  /** The pid of the worker holding this client's connection. */
  async worker(): Promise<string> {
    await this.send('GET', ISSUER_API.metadata.path);
    if (this.lastWorker === null)
      throw new Error('no x-dck-debug-worker header: was DCK_ISSUER_DEBUG_WORKER_HEADER set?');
    return this.lastWorker;
  }

  /**
   * A server-sent-event stream on this client's connection: resolves with the `data:` lines once it ends. The stream
   * is hijacked (no header), so it reports the local port of its connection instead.
   */
  events(path: string, bearer: string, onFirst: () => void): Promise<{ data: string[]; localPort: number | null }> {
    return new Promise((resolve, reject) => {
      const data: string[] = [];
      const req = request(
        new URL(path, this.baseUrl),
        { headers: { authorization: `Bearer ${bearer}` }, agent: this.agent },
        (res) => {
          const localPort = res.socket.localPort ?? null;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            data.push(
              ...chunk
                .split('\n')
                .filter((line) => line.startsWith('data: '))
                .map((line) => line.slice(6)),
            );
            if (data.length === 1) onFirst();
          });
          res.on('end', () => resolve({ data, localPort }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

interface RunningCluster {
  child: ChildProcess;
  url: string;
  tlsPem: string;
  lines: string[];
  workerPids: string[];
  /** Resolves with the first stdout line matching `pattern` (already printed or yet to come). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

const temp = mkdtempSync(join(tmpdir(), 'dck-issuer-cluster-'));
let pki: TestPki;
let cluster: RunningCluster;
const clients: PinnedClient[] = [];
let cardSerial = 0;

async function startCluster(dataDir: string, config: Record<string, unknown>): Promise<RunningCluster> {
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    ['bin/dck.js', 'issuer', '--workers', '2', '--config', configFile, '--data', dataDir, '--port', '0'],
    {
      env: { ...process.env, DCK_ISSUER_DEBUG_WORKER_HEADER: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLine = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) {
        resolve(seen);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no line ${pattern} in:\n${lines.join('\n')}`)), timeoutMs);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  const workersLine = await Promise.race([
    waitForLine(/^workers: /),
    exited.then((code) => {
      throw new Error(`dck issuer exited (${code}) before listening:\n${lines.join('\n')}`);
    }),
  ]);
  const url = /issuer listening on (\S+)/.exec(lines.join('\n'))?.[1] ?? '';
  const workerPids = /pids ([\d ]+);/.exec(workersLine)?.[1]?.split(' ') ?? [];
  return {
    child,
    url,
    tlsPem: readFileSync(join(dataDir, 'tls-certificate.pem'), 'utf8'),
    lines,
    workerPids,
    waitForLine,
    exited,
  };
}

/** One client pinned to each worker (new connections are handed out round-robin, so a few tries suffice). */
async function clientsOnDistinctWorkers(count: number): Promise<PinnedClient[]> {
  const byWorker = new Map<string, PinnedClient>();
  for (let tries = 0; tries < 20 && byWorker.size < count; tries += 1) {
    const client = new PinnedClient(cluster.url);
    clients.push(client);
    const worker = await client.worker();
    if (!byWorker.has(worker)) byWorker.set(worker, client);
  }
  if (byWorker.size < count) throw new Error(`only ${byWorker.size} distinct workers answered`);
  return [...byWorker.values()];
}

const newCard = (): Promise<IssuedCardCertificate> =>
  pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: `Cluster Cardholder ${(cardSerial += 1)}` });

/** Pids of the processes (of this user) whose environment holds `entry` (Linux /proc). */
function processesWithEnvironment(entry: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry);
      } catch (error: unknown) {
        // Gone meanwhile, or another user's process: not one of ours.
        if (['ENOENT', 'EACCES', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
        throw error;
      }
    })
    .map(Number);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

beforeAll(async () => {
  pki = await createTestPki();
  writeFileSync(join(temp, 'root.der'), pki.root.der);
  writeFileSync(join(temp, 'intermediate.der'), pki.intermediate.der);
  const nextUpdate = new Date(Date.now() + 86_400_000);
  writeFileSync(join(temp, 'root.crl'), await buildCrl({ issuer: pki.root, nextUpdate }));
  writeFileSync(join(temp, 'intermediate.crl'), await buildCrl({ issuer: pki.intermediate, nextUpdate }));
  cluster = await startCluster(temp, {
    pivTrust: {
      trustAnchorFiles: [join(temp, 'root.der')],
      intermediateFiles: [join(temp, 'intermediate.der')],
      crlFiles: [join(temp, 'root.crl'), join(temp, 'intermediate.crl')],
    },
    // 4 code guesses a minute in all: 2 for each of the 2 workers. Every client signs in from one loopback address.
    rateLimits: {
      codeGuessesPerMinute: 4,
      unauthenticatedPerAddressPerMinute: 10_000,
      unauthenticatedServicePerMinute: 10_000,
    },
    pkiAuth: { maxUserCodeFailures: 20 },
  });
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  if (cluster?.child.exitCode === null) {
    cluster.child.kill('SIGKILL');
    await cluster.exited;
  }
  rmSync(temp, { recursive: true, force: true });
});

/** Kiosk steps on `kiosk`, phone steps on `phone` (different workers): everything up to the redeem. */
async function upToRedeemAcross(kiosk: PinnedClient, phone: PinnedClient) {
  const device = await phoneStart(phone);
  const session = await kioskSignIn(kiosk, await newCard());
  const approved = await approve(kiosk, session.sessionToken, device.user_code);
  expect(approved.status).toBe(201);
  const token = await phonePoll(phone, device.device_code);
  expect(token.status).toBe(200);
  return { session, code: approved.body, accessToken: token.body.access_token };
}

describe('dck issuer --workers 2', () => {
  it('says how many workers run, and they are separate processes answering on one port', async () => {
    expect(cluster.workerPids).toHaveLength(2);
    const [a, b] = await clientsOnDistinctWorkers(2);
    expect(new Set([await a!.worker(), await b!.worker()])).toEqual(new Set(cluster.workerPids));
  });

  it("wakes the kiosk's long-poll on one worker when the phone redeems on the other", async () => {
    const [kiosk, phone] = (await clientsOnDistinctWorkers(2)) as [PinnedClient, PinnedClient];
    const { session, code, accessToken } = await upToRedeemAcross(kiosk, phone);
    const statusPath = routePath('enrollmentStatus', { enrollmentId: code.enrollmentId });
    const started = Date.now();
    const longPoll = kiosk.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=30`, {
      bearer: session.sessionToken,
    });
    // Give the long-poll time to be waiting on its worker before the phone finishes on the other.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const redeemed = await redeem(phone, accessToken, code.enrollmentId, code.otp, await makeCsr());
    expect(redeemed.status).toBe(200);
    const finished = await longPoll;
    expect(finished.body.state).toBe('completed');
    expect(finished.body.certificateSerialHex).toBe(redeemed.body.serialNumberHex);
    expect(kiosk.lastWorker).not.toBe(phone.lastWorker);
    // Woken by the relayed message, not by the 30-second timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('streams server-sent events from one worker while the phone redeems on the other', async () => {
    const [kiosk, phone] = await clientsOnDistinctWorkers(2);
    const { session, code, accessToken } = await upToRedeemAcross(kiosk!, phone!);
    const kioskWorker = await kiosk!.worker();
    const kioskPort = kiosk!.lastLocalPort;
    const csr = await makeCsr();
    let redeemed: Promise<number> | null = null;
    const stream = await kiosk!.events(
      routePath('enrollmentEvents', { enrollmentId: code.enrollmentId }),
      session.sessionToken,
      () => {
        redeemed = redeem(phone!, accessToken, code.enrollmentId, code.otp, csr).then((answer) => answer.status);
      },
    );
    expect(stream.data.map((line) => (JSON.parse(line) as EnrollmentStatus).state)).toEqual([
      'awaiting-phone',
      'completed',
    ]);
    // The stream may end before the phone's own answer arrives: wait for it, then ask who served it.
    expect(await (redeemed ?? Promise.resolve(0))).toBe(200);
    const redeemWorker = phone!.lastWorker;
    // The stream ran on the kiosk client's one connection, held by kioskWorker; the phone's redeem ran on another.
    expect(stream.localPort).toBe(kioskPort);
    expect(redeemWorker).not.toBeNull();
    expect(redeemWorker).not.toBe(kioskWorker);
  });

  it('holds the code-guess rate limit for the whole service, however requests are spread over the workers', async () => {
    const [a, b] = await clientsOnDistinctWorkers(2);
    const session = await kioskSignIn(a!, await newCard());
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push((await approve(a!, session.sessionToken, 'BBBB-BBBB')).status);
      statuses.push((await approve(b!, session.sessionToken, 'BBBB-BBBB')).status);
    }
    // The limit is 4 a minute: 4 guesses answered (404, unknown code), every other one refused, on either worker.
    expect(statuses.filter((status) => status === 404)).toHaveLength(4);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
  });

  it('replaces a killed worker and keeps answering; stopping leaves no process behind', async () => {
    const victim = Number(cluster.workerPids[0]);
    const survivor = Number(cluster.workerPids[1]);
    process.kill(victim, 'SIGKILL');
    const replaced = await cluster.waitForLine(/^worker \d+ replaced: pid \d+ listening/);
    const replacement = /pid (\d+)/.exec(replaced)?.[1] ?? '';
    expect(Number(replacement)).not.toBe(victim);
    expect(isRunning(victim)).toBe(false);
    // New connections reach both the survivor and the replacement, and both serve the flow.
    const [kiosk, phone] = await clientsOnDistinctWorkers(2);
    expect(new Set([await kiosk!.worker(), await phone!.worker()])).toEqual(new Set([String(survivor), replacement]));
    const { code, accessToken } = await upToRedeemAcross(kiosk!, phone!);
    expect((await redeem(phone!, accessToken, code.enrollmentId, code.otp, await makeCsr())).status).toBe(200);

    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    for (const pid of [cluster.child.pid!, survivor, Number(replacement)]) expect(isRunning(pid)).toBe(false);
  });
});

describe('dck issuer --workers 2: workers dying in a loop', () => {
  it('replaces the first deaths, then stops the service with exit code 1 and says why, leaving no process behind', async () => {
    const dataDir = join(temp, 'crash-loop');
    mkdirSync(dataDir);
    const looping = await startCluster(dataDir, {});
    const seen = new Set<number>([looping.child.pid!, ...looping.workerPids.map(Number)]);
    try {
      let alive = looping.workerPids.map(Number);
      // The restart policy gives up at the 5th unasked death within a minute.
      for (let death = 1; death <= 4; death += 1) {
        const victim = alive[death % 2]!;
        process.kill(victim, 'SIGKILL');
        const line = await looping.waitForLine(
          new RegExp(`^worker ${death % 2} replaced: pid (?!${victim}\\b)\\d+ listening`),
        );
        const replacement = Number(/pid (\d+)/.exec(line)?.[1]);
        seen.add(replacement);
        alive = alive.map((pid) => (pid === victim ? replacement : pid));
      }
      process.kill(alive[0]!, 'SIGKILL');
      expect(await looping.exited).toBe(1);
      expect(looping.lines.join('\n')).toMatch(/workers keep dying/);
      for (const pid of seen) expect(isRunning(pid)).toBe(false);
    } finally {
      if (looping.child.exitCode === null) looping.child.kill('SIGKILL');
    }
  }, 120_000);
});

describe('dck issuer --workers 2: start failures', () => {
  it('a port already taken stops the start with exit 1, says why, and leaves no worker behind', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      // Workers inherit the environment: a marker finds any of them left behind.
      const marker = `DCK_CLUSTER_TEST_MARK=${randomUUID()}`;
      const child = spawn(
        process.execPath,
        ['bin/dck.js', 'issuer', '--workers', '2', '--data', join(temp, 'port-taken'), '--port', String(port)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, DCK_CLUSTER_TEST_MARK: marker.split('=')[1] },
        },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain('EADDRINUSE');
      expect(processesWithEnvironment(marker)).toEqual([]);
    } finally {
      taken.close();
    }
  }, 60_000);
});
