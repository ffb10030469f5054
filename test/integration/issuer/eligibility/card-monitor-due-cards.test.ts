// The card monitor reads only the cards that are due (issue 15: 1,000,000 linked cards between checks cost every
// tick a walk of all of them), on either store (card-monitor-due-cards.postgres.test.ts runs it on PostgreSQL). The
// store is real; the revocation answers come from a scripted oracle (the CRL/OCSP side is card-monitor.test.ts's),
// and the clock is fixed, so each run's time decides what is due. What the store hands the monitor is counted: every
// element of every card listing's answer is a card row read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { countingCardReads, type CardReads } from '../../../../bench/card-reads.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import type { CardVerdict } from '../../../../issuer/eligibility/card-revocation-oracle.ts';
import {
  startCardMonitor,
  type CardMonitorJob,
  type CardMonitorRun,
} from '../../../../issuer/eligibility/card-monitor.ts';
import type { CardRecord, IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { postgresMigrations } from '../../../../issuer/storage/postgres-migrations.ts';
import { openPostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import { SQLITE_MIGRATIONS } from '../../../../issuer/storage/sqlite-migrations.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import { T0, seedCredential } from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { sharedPostgres } from '../storage/postgres-server.ts';
import { currentStorageKind, openTestStorage } from '../storage/storage-kinds.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The defaults: first check 7 days after issue, then daily, an unknown card again after an hour. */
const settings = { ...parseIssuerConfig({}).eligibility, enabled: false, pageSize: 10 };
const FIRST_CHECK = settings.firstCheckAfterSeconds * 1000;
const INTERVAL = settings.intervalSeconds * 1000;
const RETRY = settings.unknownRetrySeconds * 1000;
/** Cards between checks in each test: twelve pages of the walk before this change. */
const MANY = 120;

/** The verdict each card gets (by card id; `good` unless told), and the cards checked, in order. */
interface Oracle {
  verdicts: Map<string, CardVerdict['verdict']>;
  checked: string[];
}

let dir = '';
let storage: IssuerStorage;
let reads: CardReads;
let oracle: Oracle;
let failingActions = 0;
/** The fixed clock of the test's one monitor (one lease holder across its runs, as in a process). */
let clock = T0;
let monitor: CardMonitorJob | null = null;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dck-due-cards-'));
  storage = await openTestStorage(dir);
  reads = { rows: 0, pages: 0 };
  oracle = { verdicts: new Map(), checked: [] };
  failingActions = 0;
});
afterEach(async () => {
  await monitor?.stop();
  monitor = null;
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One monitor run at `at` (a fixed clock); returns its figures and the card rows it read. */
async function runAt(at: number): Promise<CardMonitorRun & { rowsRead: number; checkedIds: string[] }> {
  reads.rows = 0;
  reads.pages = 0;
  oracle.checked = [];
  clock = at;
  monitor ??= startCardMonitor({
    storage: countingCardReads(storage, reads),
    settings,
    oracle: {
      beginRun: () =>
        Promise.resolve((card: CardRecord) => {
          oracle.checked.push(card.id);
          const verdict = oracle.verdicts.get(card.id) ?? 'good';
          return Promise.resolve({ verdict, detail: `scripted ${verdict}` });
        }),
    },
    onCardRevoked: () => {
      if (failingActions === 0) return Promise.resolve();
      failingActions -= 1;
      return Promise.reject(new Error('scripted failure'));
    },
    policy: () => Promise.resolve('flag'),
    now: () => new Date(clock),
    warn: () => undefined,
  });
  const run = await monitor.runOnce();
  expect(run.leaseHeld).toBe(true);
  return { ...run, rowsRead: reads.rows, checkedIds: [...oracle.checked] };
}

/** `count` linked cards, each with one credential issued at `issuedAt`; their card ids. */
async function linkedCards(count: number, issuedAt: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push((await seedCredential(storage, { issuedAt })).cardId);
  return ids;
}

describe('card monitor: only the due cards are read', () => {
  it('many linked cards between checks: a run reads the due ones only, and the next run none', async () => {
    await linkedCards(MANY, T0);
    const due = await linkedCards(3, T0 - FIRST_CHECK);

    const run = await runAt(T0 + HOUR);
    expect(run.checked).toBe(3);
    expect(new Set(run.checkedIds)).toEqual(new Set(due));
    // Before: all 123 cards in 13 pages, every tick.
    expect(run.rowsRead).toBe(3);

    const next = await runAt(T0 + 2 * HOUR);
    expect(next.checked).toBe(0);
    expect(next.rowsRead).toBe(0);
  });

  it('a card with no verdict yet is checked at its first-due time exactly, then again after the interval', async () => {
    const cards = await linkedCards(MANY, T0);

    const early = await runAt(T0 + FIRST_CHECK - 1);
    expect(early.checked).toBe(0);
    expect(early.rowsRead).toBe(0);

    // Every card once, over twelve pages of cards that leave the due set as they are checked: none skipped, none twice.
    const first = await runAt(T0 + FIRST_CHECK);
    expect(first.checked).toBe(MANY);
    expect([...first.checkedIds].sort()).toEqual([...cards].sort());
    expect(first.rowsRead).toBe(MANY);

    const between = await runAt(T0 + FIRST_CHECK + INTERVAL - 1);
    expect(between.checked).toBe(0);
    expect(between.rowsRead).toBe(0);

    const again = await runAt(T0 + FIRST_CHECK + INTERVAL);
    expect(again.checked).toBe(MANY);
    expect([...again.checkedIds].sort()).toEqual([...cards].sort());
    expect(again.rowsRead).toBe(MANY);
  });

  it('a card left unknown is retried at its sooner time, the good ones not before their interval', async () => {
    const [flagged] = await linkedCards(1, T0);
    await linkedCards(MANY, T0);
    if (flagged === undefined) throw new Error('no card');
    oracle.verdicts.set(flagged, 'unknown');

    const first = await runAt(T0 + FIRST_CHECK);
    expect(first).toMatchObject({ checked: MANY + 1, unknown: 1 });

    const retry = await runAt(T0 + FIRST_CHECK + RETRY);
    expect(retry.checkedIds).toEqual([flagged]);
    expect(retry.rowsRead).toBe(1);

    oracle.verdicts.set(flagged, 'good');
    const answered = await runAt(T0 + FIRST_CHECK + 2 * RETRY);
    expect(answered.checkedIds).toEqual([flagged]);
    expect(answered.rowsRead).toBe(1);
    const quiet = await runAt(T0 + FIRST_CHECK + 3 * RETRY);
    expect(quiet.rowsRead).toBe(0);
  });

  it('a revoked card whose policy failed is found again next run (and only it), until the policy is applied', async () => {
    const [revoked] = await linkedCards(1, T0);
    await linkedCards(MANY, T0);
    if (revoked === undefined) throw new Error('no card');
    oracle.verdicts.set(revoked, 'revoked');
    failingActions = 1;

    const found = await runAt(T0 + FIRST_CHECK);
    expect(found).toMatchObject({ revoked: 1, actionsDone: 0, actionsFailed: 1 });

    const retried = await runAt(T0 + FIRST_CHECK + HOUR);
    expect(retried).toMatchObject({ checked: 0, actionsDone: 1, actionsFailed: 0 });
    expect(retried.rowsRead).toBe(1);

    const done = await runAt(T0 + FIRST_CHECK + 2 * HOUR);
    expect(done).toMatchObject({ checked: 0, actionsDone: 0 });
    expect(done.rowsRead).toBe(0);
  });

  it('a card whose credentials expired is read once and then left; a new credential brings it back', async () => {
    const cardSerial = 'c0ffee01';
    const { cardId } = await seedCredential(storage, { cardSerial, issuedAt: T0, notAfter: T0 + 2 * DAY });

    // Its first check (T0 + 7 days) comes after its only credential expired (T0 + 2 days): not linked, not checked.
    expect((await runAt(T0 + FIRST_CHECK)).checked).toBe(0);
    expect((await runAt(T0 + FIRST_CHECK + HOUR)).rowsRead).toBe(0);

    // Linked again: checked at its new credential's first-due time, as a card never checked.
    const reissuedAt = T0 + 10 * DAY;
    const again = await seedCredential(storage, { cardSerial, issuedAt: reissuedAt, notAfter: T0 + 400 * DAY });
    expect(again.cardId).toBe(cardId);
    expect((await runAt(reissuedAt + FIRST_CHECK - 1)).checked).toBe(0);
    expect((await runAt(reissuedAt + FIRST_CHECK)).checkedIds).toEqual([cardId]);
  });

  it('a checked card whose credentials expired is left after one read; a new credential has it checked at once', async () => {
    const cardSerial = 'c0ffee02';
    const { cardId } = await seedCredential(storage, { cardSerial, issuedAt: T0, notAfter: T0 + 20 * DAY });
    expect((await runAt(T0 + FIRST_CHECK)).checkedIds).toEqual([cardId]);
    // Checked daily until its credential expires on day 20; then its next check finds it unlinked, once.
    const expired = T0 + 30 * DAY;
    expect((await runAt(expired)).checked).toBe(0);
    expect((await runAt(expired + INTERVAL)).rowsRead).toBe(0);

    const reissuedAt = T0 + 40 * DAY;
    await seedCredential(storage, { cardSerial, issuedAt: reissuedAt, notAfter: T0 + 400 * DAY });
    expect((await runAt(reissuedAt)).checkedIds).toEqual([cardId]);
  });
});

describe('migration 15 on a database of linked cards', () => {
  /** Plain SQL on a database made with the migrations before 15 (the same literal text runs on both stores). */
  type Exec = (text: string) => Promise<void>;
  /** `seed` gets the store's way to run SQL and to write bytes (hex) as a literal. */
  async function openAt14(seed: (exec: Exec, bytes: (hex: string) => string) => Promise<void>): Promise<IssuerStorage> {
    const createMigrations =
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)';
    if (currentStorageKind() === 'sqlite') {
      const file = join(dir, 'at14.sqlite');
      const db = new Database(file);
      // Copies with no device authorization or enrollment behind them: foreign keys off on this connection.
      db.pragma('foreign_keys = OFF');
      db.exec(createMigrations);
      for (const m of [...SQLITE_MIGRATIONS].filter((m) => m.version < 15).sort((a, b) => a.version - b.version)) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.description, T0);
      }
      await seed(
        (text) => Promise.resolve(void db.exec(text)),
        (hex) => `X'${hex}'`,
      );
      db.close();
      return openSqliteStorage(file, { checkpointIntervalMs: 0 });
    }
    const database = await (await sharedPostgres()).createDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(createMigrations.replace(/INTEGER/g, 'BIGINT'));
      for (const m of postgresMigrations().filter((m) => m.version < 15)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.description, T0]);
      }
      // Copies with no device authorization or enrollment behind them: foreign keys off for this session.
      await client.query("SET session_replication_role = 'replica'");
      await seed(
        async (text) => void (await client.query(text)),
        (hex) => `'\\x${hex}'::bytea`,
      );
    } finally {
      await client.end();
    }
    return openPostgresStorage(database);
  }

  it('back-fills the cards never checked: each is checked at its first-due time; checked ones keep theirs', async () => {
    const migrated = await openAt14(async (exec, bytes) => {
      for (const [n, issuedAt] of [
        [1, T0],
        [2, T0 + DAY],
        [3, T0],
      ] as const) {
        await exec(`INSERT INTO cards (id, issuer_dn, serial_number_hex, common_name, not_after, certificate_der)
          VALUES ('card-old-${n}', 'CN=Test PIV CA', 'ab0${n}', 'Holder', ${T0 + 1000 * DAY}, ${bytes('3000')})`);
        // Card 1's earliest credential was revoked: its first check counts from the valid one (T0 + 2 days).
        for (const [suffix, at, status] of [
          ['a', issuedAt, n === 1 ? 'revoked' : 'active'],
          ['b', issuedAt + 2 * DAY, 'active'],
        ] as const)
          await exec(`INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id,
            enrollment_id, certificate_der, not_before, not_after, issued_at, status)
            VALUES ('5e0${n}${suffix}', 'card-old-${n}', 'd', 'e', ${bytes('3000')}, ${at}, ${T0 + 365 * DAY}, ${at},
              '${status}')`);
      }
      // Card 3 was checked on day 7, next due on day 8.
      await exec(`INSERT INTO card_eligibility (card_id, checked_at, verdict, detail, next_check_at)
        VALUES ('card-old-3', ${T0 + FIRST_CHECK}, 'good', 'ok', ${T0 + FIRST_CHECK + INTERVAL})`);
    });
    await storage.close();
    storage = migrated;

    const before = await runAt(T0 + FIRST_CHECK + DAY - 1);
    expect(before.checkedIds).toEqual([]);
    // Card 1's entry counts from its revoked credential: read once, then it waits for its valid one's time.
    expect(before.rowsRead).toBe(1);
    expect((await runAt(T0 + FIRST_CHECK + DAY - 1)).rowsRead).toBe(0);
    const day8 = await runAt(T0 + FIRST_CHECK + DAY);
    expect(day8.checkedIds.sort()).toEqual(['card-old-2', 'card-old-3']);
    expect(day8.rowsRead).toBe(2);
    // Day 9: card 1's first check; 2 and 3, checked on day 8, are due again.
    expect((await runAt(T0 + FIRST_CHECK + 2 * DAY)).checkedIds.sort()).toEqual([
      'card-old-1',
      'card-old-2',
      'card-old-3',
    ]);
  });
});
