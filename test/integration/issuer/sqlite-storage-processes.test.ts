// Several issuer processes on one SQLite file (`dck issuer --workers N`): two real child processes hammer the same
// database through the real storage. Racing conditional updates have exactly one winner, counters lose no update,
// every change has exactly its audit row, and "database is locked" never reaches a caller. In this process: a lock
// held by another connection is waited for without blocking the event loop, and past the deadline the call fails
// with `storage-busy` having written nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';
import type { AuditEntryInput, IssuerStorage } from '../../../issuer/storage/issuer-storage.ts';
import type { ChildReport } from './storage-processes-child.ts';

const CHILD = fileURLToPath(new URL('./storage-processes-child.ts', import.meta.url));
const ENROLLMENTS = 150;
const COUNTER_ROUNDS = 150;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function databaseFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dck-storage-processes-'));
  dirs.push(dir);
  return join(dir, 'issuer.sqlite');
}

const entry = (event: string): AuditEntryInput => ({
  at: Date.now(),
  event,
  outcome: 'success',
  code: null,
  details: {},
});

/** What the children race for: enrollments awaiting the phone, unused challenges, one kiosk session to count on. */
async function seed(storage: IssuerStorage): Promise<void> {
  const now = Date.now();
  const openSession = async (challengeId: string, cardId: string, sessionId: string) => {
    await storage.insertChallenge({
      id: challengeId,
      challenge: new Uint8Array(32),
      kioskId: null,
      createdAt: now,
      expiresAt: now + 60_000,
      usedAt: null,
    });
    const stored = await storage.openKioskSession(
      challengeId,
      now,
      {
        id: cardId,
        issuerDn: 'CN=Test CA',
        serialNumberHex: cardId,
        uuid: null,
        fascnHex: null,
        commonName: cardId,
        notAfter: now + 86_400_000,
        certificateDer: new Uint8Array(10),
      },
      {
        id: sessionId,
        tokenHash: `token-${sessionId}`,
        kioskId: null,
        createdAt: now,
        expiresAt: now + 600_000,
        userCodeFailures: 0,
        signedKioskId: null,
      },
      entry('pki-auth'),
    );
    expect(stored).toBe(cardId);
  };
  await openSession('counter-challenge', 'counter-card', 'counter-session');
  for (let i = 0; i < ENROLLMENTS; i += 1) {
    await storage.insertDeviceAuthorization(
      {
        id: `device-${i}`,
        deviceCodeHash: `dc-${i}`,
        userCodeHash: `uc-${i}`,
        clientId: 'dck-phone',
        status: 'pending',
        createdAt: now,
        expiresAt: now + 600_000,
        intervalSeconds: 5,
        lastPollAt: null,
        cardId: null,
        enrollmentId: null,
        accessTokenHash: null,
        accessTokenExpiresAt: null,
        device: { platform: null, model: null, appName: null, appVersion: null },
        pairing: null,
      },
      entry('device-authorization'),
    );
    await openSession(`challenge-${i}`, `card-${i}`, `session-${i}`);
    expect(
      await storage.approveDeviceAuthorization(
        `device-${i}`,
        {
          id: `enrollment-${i}`,
          deviceAuthorizationId: `device-${i}`,
          cardId: `card-${i}`,
          kioskSessionId: `session-${i}`,
          status: 'awaiting-phone',
          otpHash: `otp-hash-${i}`,
          otpExpiresAt: now + 600_000,
          otpFailures: 0,
          createdAt: now,
          completedAt: null,
          derivedCertificateSerialHex: null,
          phoneFetchedAt: null,
          kioskId: null,
        },
        1,
        entry('approve'),
      ),
    ).toBe('approved');
    await storage.insertChallenge({
      id: `spare-challenge-${i}`,
      challenge: new Uint8Array(32),
      kioskId: null,
      createdAt: now,
      expiresAt: now + 60_000,
      usedAt: null,
    });
  }
}

interface Child {
  ready: Promise<void>;
  report: Promise<ChildReport & { fatal?: string }>;
  exit: Promise<number | null>;
  go(): void;
}

function startChild(file: string, name: string, enrollments: number, rounds: number, guessLimit: number | null): Child {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      file,
      name,
      String(enrollments),
      String(rounds),
      ...(guessLimit === null ? [] : [String(guessLimit)]),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
  });
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const report = new Promise<ChildReport & { fatal?: string }>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else resolve(JSON.parse(line) as ChildReport);
    });
    child.once('exit', (code) => reject(new Error(`child ${name} exited (${code}) without a report`)));
  });
  // A child stops by itself once its stdin closes (it has written its report, or the test failed).
  return {
    ready,
    report,
    exit,
    go: () => {
      child.stdin.write('go\n');
      child.stdin.end();
    },
  };
}

async function race(
  file: string,
  enrollments: number,
  rounds: number,
  guessLimit: number | null = null,
): Promise<ChildReport[]> {
  const children = [
    startChild(file, 'a', enrollments, rounds, guessLimit),
    startChild(file, 'b', enrollments, rounds, guessLimit),
  ];
  await Promise.all(children.map((child) => child.ready));
  for (const child of children) child.go();
  const reports = await Promise.all(children.map((child) => child.report));
  expect(await Promise.all(children.map((child) => child.exit))).toEqual([0, 0]);
  for (const report of reports) expect(report.fatal).toBeUndefined();
  return reports;
}

function count(db: Database.Database, sql: string, ...params: unknown[]): number {
  return Number((db.prepare(sql).get(...params) as { n: number }).n);
}

describe('SQLite storage shared by two processes', () => {
  it('racing writes: one winner each, no lost update, one audit row per change, no lock error', async () => {
    const file = databaseFile();
    const storage = openSqliteStorage(file);
    await seed(storage);
    await storage.close();

    const [a, b] = await race(file, ENROLLMENTS, COUNTER_ROUNDS);
    expect(a!.errors).toEqual([]);
    expect(b!.errors).toEqual([]);
    // The two processes really collided (else this test proves nothing): some writes found the lock taken.
    expect(a!.busyRetries + b!.busyRetries).toBeGreaterThan(0);

    const everyEnrollment = Array.from({ length: ENROLLMENTS }, (_, i) => `enrollment-${i}`).sort();
    expect([...a!.completed, ...b!.completed].sort()).toEqual(everyEnrollment);
    expect([...a!.consumed, ...b!.consumed]).toHaveLength(ENROLLMENTS);
    expect(new Set([...a!.consumed, ...b!.consumed]).size).toBe(ENROLLMENTS);

    const db = new Database(file, { readonly: true });
    try {
      expect(count(db, "SELECT COUNT(*) AS n FROM enrollments WHERE status = 'completed'")).toBe(ENROLLMENTS);
      expect(count(db, 'SELECT COUNT(*) AS n FROM derived_certificates')).toBe(ENROLLMENTS);
      // Each enrollment points at the certificate its winner stored, and that winner is the one that said so.
      for (const [name, report] of [
        ['a', a!],
        ['b', b!],
      ] as const) {
        for (const id of report.completed) {
          const row = db
            .prepare('SELECT derived_certificate_serial_hex AS serial FROM enrollments WHERE id = ?')
            .get(id) as { serial: string };
          expect(row.serial).toBe(`${name}-${id.slice('enrollment-'.length)}`);
        }
      }
      expect(count(db, "SELECT COUNT(*) AS n FROM challenges WHERE id LIKE 'spare-%' AND used_at IS NULL")).toBe(0);
      expect(count(db, "SELECT user_code_failures AS n FROM kiosk_sessions WHERE id = 'counter-session'")).toBe(
        2 * COUNTER_ROUNDS,
      );
      expect(count(db, "SELECT user_code_failures AS n FROM cards WHERE id = 'counter-card'")).toBe(2 * COUNTER_ROUNDS);
      expect(count(db, 'SELECT COUNT(*) AS n FROM device_authorizations')).toBe(ENROLLMENTS + 2 * COUNTER_ROUNDS);
      // Exactly one audit row per change made by the children: winners only, nothing for the losers.
      const childRows = (event: string) =>
        count(db, 'SELECT COUNT(*) AS n FROM audit_log WHERE event = ? AND details LIKE \'%"child":%\'', event);
      expect(childRows('redeem')).toBe(ENROLLMENTS);
      expect(childRows('pki-auth')).toBe(ENROLLMENTS);
      expect(childRows('approve')).toBe(2 * COUNTER_ROUNDS);
      expect(childRows('device-authorization')).toBe(2 * COUNTER_ROUNDS);
    } finally {
      db.close();
    }
  }, 120_000);

  it('user_code guesses racing from two processes: exactly the limit is taken, never more', async () => {
    const file = databaseFile();
    const storage = openSqliteStorage(file);
    await seed(storage);
    await storage.close();
    const [a, b] = await race(file, 0, 40, 5);
    expect([...a!.errors, ...b!.errors]).toEqual([]);
    expect(a!.guessesTaken + b!.guessesTaken).toBe(5);
    const db = new Database(file, { readonly: true });
    try {
      expect(count(db, "SELECT user_code_failures AS n FROM kiosk_sessions WHERE id = 'counter-session'")).toBe(5);
      expect(count(db, "SELECT user_code_failures AS n FROM cards WHERE id = 'counter-card'")).toBe(5);
    } finally {
      db.close();
    }
  }, 60_000);

  it('two processes creating the same new database apply each migration once', async () => {
    const file = databaseFile();
    const [a, b] = await race(file, 0, 40);
    expect([...a!.errors, ...b!.errors]).toEqual([]);
    const db = new Database(file, { readonly: true });
    try {
      expect(count(db, 'SELECT COUNT(*) AS n FROM schema_migrations')).toBe(
        count(db, 'SELECT COUNT(DISTINCT version) AS n FROM schema_migrations'),
      );
      expect(count(db, 'SELECT COUNT(*) AS n FROM device_authorizations')).toBe(80);
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('SQLite storage waiting for a lock another connection holds', () => {
  it('keeps the event loop turning while it waits, then writes once the lock is released', async () => {
    const file = databaseFile();
    const storage = openSqliteStorage(file);
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      let ticks = 0;
      const ticker = setInterval(() => {
        ticks += 1;
      }, 1);
      let settled = false;
      const write = storage.appendAudit(entry('waited')).then(() => {
        settled = true;
      });
      // Only this event loop can release the lock: a storage that slept synchronously would never let it.
      await new Promise((resolve) => {
        setTimeout(resolve, 150);
      });
      expect(settled).toBe(false);
      expect(ticks).toBeGreaterThan(5);
      other.exec('COMMIT');
      await write;
      clearInterval(ticker);
      expect((await storage.listAudit(0, 100)).map((row) => row.event)).toEqual(['waited']);
    } finally {
      other.close();
      await storage.close();
    }
  });

  it('gives up past its deadline with storage-busy, having written nothing', async () => {
    const file = databaseFile();
    const storage = openSqliteStorage(file, { busyRetry: { deadlineMs: 100, maxDelayMs: 10 } });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(storage.appendAudit(entry('never'))).rejects.toMatchObject({ code: 'storage-busy' });
      other.exec('COMMIT');
      expect(await storage.listAudit(0, 100)).toEqual([]);
    } finally {
      other.close();
      await storage.close();
    }
  });
});
