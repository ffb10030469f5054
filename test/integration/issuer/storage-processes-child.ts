// Child process of sqlite-storage-processes.test.ts: opens the shared database with the real SQLite storage,
// waits for "go" on stdin (so both children start together), then hammers it with racing writes and prints one
// JSON line: what it won, every error it saw and how many busy answers it retried.
//
//   node --import tsx storage-processes-child.ts <database file> <child name> <enrollment count> <counter rounds> [guess limit]
// With a guess limit, each counter round is only a user_code guess taken under that limit (per session and card).
import { createInterface } from 'node:readline';
import { openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';
import type { AuditEntryInput } from '../../../issuer/storage/issuer-storage.ts';

export interface ChildReport {
  name: string;
  completed: string[];
  consumed: string[];
  errors: string[];
  busyRetries: number;
  guessesTaken: number;
}

const [file = '', name = '', enrollmentText = '0', roundsText = '0', guessLimitText = ''] = process.argv.slice(2);
const guessLimit = guessLimitText === '' ? null : Number(guessLimitText);
const enrollments = Number(enrollmentText);
const rounds = Number(roundsText);

const entry = (
  event: string,
  outcome: AuditEntryInput['outcome'],
  details: AuditEntryInput['details'],
): AuditEntryInput => ({ at: Date.now(), event, outcome, code: null, details: { ...details, child: name } });

let busyRetries = 0;
const storage = openSqliteStorage(file, {
  busyRetry: {
    deadlineMs: 30_000,
    maxDelayMs: 20,
    onRetry: () => {
      busyRetries += 1;
    },
  },
});

async function hammer(): Promise<ChildReport> {
  const report: ChildReport = { name, completed: [], consumed: [], errors: [], busyRetries: 0, guessesTaken: 0 };
  const record = (error: unknown) => {
    report.errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  };
  // Several loops at once, as concurrent requests would be: a busy retry of one lets the others run meanwhile.
  const races = Array.from({ length: enrollments }, (_, i) => async () => {
    const now = Date.now();
    const won = await storage.completeEnrollment(
      `enrollment-${i}`,
      `otp-hash-${i}`,
      {
        serialNumberHex: `${name}-${i}`,
        cardId: `card-${i}`,
        deviceAuthorizationId: `device-${i}`,
        enrollmentId: `enrollment-${i}`,
        certificateDer: new Uint8Array(600).fill(i % 256),
        notBefore: now,
        notAfter: now + 86_400_000,
        issuedAt: now,
        device: { id: null, platform: null, model: null, source: 'unconfirmed' },
        tenant: 'default',
        issuerGeneration: 1,
        cardRevocationSources: { crlUrls: [], ocspUrl: null },
      },
      entry('redeem', 'success', { enrollmentId: `enrollment-${i}` }),
    );
    if (won.completed) report.completed.push(`enrollment-${i}`);
    if (
      await storage.consumeChallenge(
        `spare-challenge-${i}`,
        now,
        entry('pki-auth', 'failure', { challengeId: `spare-challenge-${i}` }),
      )
    ) {
      report.consumed.push(`spare-challenge-${i}`);
    }
  });
  const guesses = Array.from({ length: rounds }, () => async () => {
    const limits = { perSession: guessLimit ?? 0, perCard: guessLimit ?? 0, windowMs: 3_600_000 };
    if ((await storage.takeUserCodeGuess('counter-session', 'counter-card', Date.now(), limits)) === 'taken')
      report.guessesTaken += 1;
  });
  const counters = Array.from({ length: rounds }, (_, i) => async () => {
    const limits = { perSession: 1_000_000, perCard: 1_000_000, windowMs: 3_600_000 };
    // Without a seeded session (the migration race) the guess is refused and nothing is counted.
    if ((await storage.takeUserCodeGuess('counter-session', 'counter-card', Date.now(), limits)) === 'taken')
      await storage.recordUserCodeFailure(
        'counter-session',
        1_000_000,
        Date.now(),
        entry('approve', 'failure', { round: i }),
      );
    const now = Date.now();
    await storage.insertDeviceAuthorization(
      {
        id: `${name}-device-${i}`,
        deviceCodeHash: `${name}-dc-${i}`,
        userCodeHash: `${name}-uc-${i}`,
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
      entry('device-authorization', 'success', { deviceAuthorizationId: `${name}-device-${i}` }),
    );
  });
  const work = guessLimit === null ? [...races, ...counters] : guesses;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let job = work.shift(); job !== undefined; job = work.shift()) await job().catch(record);
    }),
  );
  await storage.close();
  report.busyRetries = busyRetries;
  return report;
}

createInterface({ input: process.stdin }).once('line', () => {
  hammer().then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    },
    (error: unknown) => {
      process.stdout.write(
        `${JSON.stringify({ name, fatal: error instanceof Error ? error.message : String(error) })}\n`,
      );
      process.exitCode = 1;
    },
  );
});
process.stdout.write('ready\n');
