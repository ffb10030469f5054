// `npm run bench:eligibility -- [--credentials N] [--crl-entries M] [--revoked R] [--none-due]
// [--storage sqlite|postgres]`: the card monitor at scale (issue 10 §4). N bound credentials (default 1,000,000, one card each: the worst case, every credential its own
// card) re-checked in one monitor run against a card CRL of M entries (default 300,000, ≈ 10.5 MB) served over
// loopback HTTP, R of the cards on it (default 1,000; the policy `flag` applied to each, real storage writes).
// Prints figures only: seeding, then — in a fresh process, so the peak memory is the run's alone — the run's wall
// time, the CRL download + parse, checks per second, the cards the store handed the monitor (rows, pages), and peak
// RSS. Target (issue 10): under 60 s and 512 MB on 2 cores.
// --none-due: the run issue 15 is about, every tick of a database whose cards are all between checks: the monitor
// reads with `firstCheckAfterSeconds` 30 days, so none of the cards (first issued 8 days ago) is due.
// --storage postgres: the seeded rows are copied into a private PostgreSQL 15 cluster (postgres-server.ts) and the
// run reads that database instead.
// --before-migration-15: the database is made with the migrations before 15 only, so the measuring process's opening
// of the store applies migration 15 (its back-fill of the never-checked cards) to N cards, and says how long it took.
//
// The data is seeded straight into the SQLite file (foreign keys off: no device authorizations, sessions or
// enrollments behind the derived certificates, which the monitor never reads). The card certificates are copies of
// one real card certificate with the serial bytes replaced — their signatures no longer verify, which the monitor
// never checks (PKI-AUTH did, at sign-in) — so a million of them cost seconds, not a million signatures.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseIssuerConfig } from '../issuer/config.ts';
import { startCardMonitor } from '../issuer/eligibility/card-monitor.ts';
import { createCardRevocationOracle } from '../issuer/eligibility/card-revocation-oracle.ts';
import { cardRevokedAction } from '../issuer/eligibility/card-revoked-action.ts';
import type { IssuerStorage } from '../issuer/storage/issuer-storage.ts';
import type { PostgresSettings } from '../issuer/storage/postgres-connection.ts';
import { openPostgresStorage } from '../issuer/storage/postgres-storage.ts';
import { postgresMigrations } from '../issuer/storage/postgres-migrations.ts';
import { SQLITE_MIGRATIONS } from '../issuer/storage/sqlite-migrations.ts';
import { openSqliteStorage } from '../issuer/storage/sqlite-storage.ts';
import { startPostgres } from '../test/integration/issuer/storage/postgres-server.ts';
import { DerReader, TAG, contextConstructed, readWhole } from '../issuer/der/strict-der.ts';
import { createTestPki } from '../virtual-card/test-pki.ts';
import { startRevocationServer } from '../virtual-card/revocation.ts';
import { benchArgs } from './bench-args.ts';
import { countingCardReads } from './card-reads.ts';
import { buildLargeCrl } from './large-crl.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const args = benchArgs('bench/eligibility-monitor.ts', {
  credentials: { kind: 'integer', default: 1_000_000 },
  'crl-entries': { kind: 'integer', default: 300_000 },
  revoked: { kind: 'integer', default: 1_000 },
  'none-due': { kind: 'switch' },
  storage: { kind: 'choice', choices: ['sqlite', 'postgres'], default: 'sqlite' },
  /** Internal: the measuring child process, run on the seeded directory. */
  'before-migration-15': { kind: 'switch' },
  measure: { kind: 'optional-text' },
});

const SERIAL_BYTES = 16;
const DAY_MS = 86_400_000;
const SEED_BATCH = 20_000;
/** --none-due: the first check this long after issue (the cards were issued 8 days before). */
const NONE_DUE_FIRST_CHECK_SECONDS = 30 * 86_400;
/** Where the parent leaves the PostgreSQL database's settings for the measuring process. */
const POSTGRES_SETTINGS_FILE = 'postgres.json';

/** Card i's serial: 16 bytes, positive, distinct (the index in the last bytes, a fixed random prefix). */
function cardSerial(prefix: Buffer, index: number): Buffer {
  const serial = Buffer.alloc(SERIAL_BYTES);
  prefix.copy(serial, 0, 0, SERIAL_BYTES - 4);
  serial.writeUInt32BE(index, SERIAL_BYTES - 4);
  return serial;
}

/** Where the serial's content octets sit in the template certificate. */
function serialOffset(der: Uint8Array): number {
  const tbs = new DerReader(
    der,
    new DerReader(der, readWhole(der, TAG.SEQUENCE, 'certificate'), 'certificate').next(TAG.SEQUENCE, 'tbs'),
    'tbs',
  );
  tbs.optional(contextConstructed(0), 'version');
  const serial = tbs.next(TAG.INTEGER, 'serial');
  if (serial.end - serial.contentStart !== SERIAL_BYTES) throw new Error('template serial is not 16 bytes');
  return serial.contentStart;
}

/** --before-migration-15: the migrations a store had before this one. */
const BEFORE_15 = 15;
const CREATE_SCHEMA_MIGRATIONS =
  'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)';

/** The SQLite schema: all migrations (the store opened once), or those before 15 only. */
async function createSqliteSchema(file: string, before15: boolean): Promise<void> {
  if (!before15) {
    await openSqliteStorage(file, { checkpointIntervalMs: 0 }).close();
    return;
  }
  const db = new Database(file);
  db.exec(CREATE_SCHEMA_MIGRATIONS);
  for (const m of [...SQLITE_MIGRATIONS].filter((m) => m.version < BEFORE_15).sort((a, b) => a.version - b.version)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.description, Date.now());
  }
  db.close();
}

async function seed(
  dir: string,
  credentials: number,
  crlEntries: number,
  revoked: number,
  before15: boolean,
): Promise<void> {
  const pki = await createTestPki();
  const prefix = randomBytes(SERIAL_BYTES);
  prefix[0] = 0x10 | ((prefix[0] ?? 0) & 0x0f); // positive, no sign octet
  const template = await pki.issueCardCertificate({
    keyAlgorithm: 'P-256',
    commonName: 'Bench Cardholder',
    serialNumber: cardSerial(prefix, 0).toString('hex'),
  });
  const offset = serialOffset(template.der);
  writeFileSync(join(dir, 'root.der'), pki.root.der);
  writeFileSync(join(dir, 'intermediate.der'), pki.intermediate.der);

  let started = performance.now();
  const now = Date.now();
  const onCrl = Array.from({ length: Math.min(revoked, credentials) }, (_, k) =>
    cardSerial(prefix, Math.floor((k * credentials) / revoked)),
  );
  const others = Array.from({ length: crlEntries - onCrl.length }, () => {
    const serial = randomBytes(SERIAL_BYTES);
    serial[0] = 0x20 | ((serial[0] ?? 0) & 0x0f); // never one of the cards' (prefix 0x1…)
    return serial;
  });
  const crl = buildLargeCrl({
    issuer: pki.intermediate,
    serials: [...onCrl, ...others],
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + DAY_MS),
  });
  writeFileSync(join(dir, 'card.crl'), crl);
  console.log(
    `CRL: ${crlEntries.toLocaleString('en')} entries, ${(crl.byteLength / 1e6).toFixed(1)} MB, built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  started = performance.now();
  await createSqliteSchema(join(dir, 'issuer.sqlite'), before15);
  const db = new Database(join(dir, 'issuer.sqlite'));
  db.pragma('foreign_keys = OFF');
  db.pragma('synchronous = OFF');
  const insertCard =
    db.prepare(`INSERT INTO cards (id, issuer_dn, serial_number_hex, uuid, fascn_hex, common_name, not_after, certificate_der)
    VALUES (?, 'CN=Test PIV Issuing CA, O=Derived Credential Kiosk Test, C=US', ?, NULL, NULL, 'Bench Cardholder', ?, ?)`);
  const insertDerived =
    db.prepare(`INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id, enrollment_id,
    certificate_der, not_before, not_after, issued_at) VALUES (?, ?, 'bench', 'bench', ?, ?, ?, ?)`);
  const derivedDer = randomBytes(600); // a derived certificate's size; the monitor never reads it
  const certificate = Buffer.from(template.der);
  const insertBatch = db.transaction((from: number, to: number) => {
    for (let index = from; index < to; index += 1) {
      const serial = cardSerial(prefix, index);
      serial.copy(certificate, offset);
      const id = `card-${String(index).padStart(8, '0')}`;
      insertCard.run(id, serial.toString('hex'), now + 300 * DAY_MS, certificate);
      insertDerived.run(
        `d${serial.toString('hex')}`,
        id,
        derivedDer,
        now - 8 * DAY_MS,
        now + 300 * DAY_MS,
        now - 8 * DAY_MS,
      );
    }
  });
  for (let from = 0; from < credentials; from += SEED_BATCH)
    insertBatch(from, Math.min(credentials, from + SEED_BATCH));
  db.close();
  console.log(
    `seeded ${credentials.toLocaleString('en')} cards + bound credentials in ${((performance.now() - started) / 1000).toFixed(1)} s, database ${(statSync(join(dir, 'issuer.sqlite')).size / 1e6).toFixed(0)} MB`,
  );
}

/** The measured part, in its own process. */
async function measure(dir: string, noneDue: boolean): Promise<void> {
  const server = await startRevocationServer({ crl: new Uint8Array(readFileSync(join(dir, 'card.crl'))) });
  const reads = { pages: 0, rows: 0 };
  const openStarted = performance.now();
  const storage = countingCardReads(await openMeasuredStorage(dir), reads);
  const openMs = performance.now() - openStarted;
  const config = parseIssuerConfig({
    eligibility: { firstCheckAfterSeconds: noneDue ? NONE_DUE_FIRST_CHECK_SECONDS : 0, onCardRevoked: 'flag' },
    pivTrust: { maxCrlBytes: 16 * 1024 * 1024 },
  });
  const oracle = createCardRevocationOracle({
    trustAnchorsDer: [new Uint8Array(readFileSync(join(dir, 'root.der')))],
    intermediatesDer: [new Uint8Array(readFileSync(join(dir, 'intermediate.der')))],
    crlUrls: [server.crlUrl],
    crlFiles: [],
    ocspUrl: null,
    maxAgeMs: 300_000,
    maxCrlBytes: config.pivTrust.maxCrlBytes,
  });
  // The CRL download + parse alone, on an oracle of its own (the run's oracle downloads it again).
  const crlStarted = performance.now();
  const probe = createCardRevocationOracle({
    trustAnchorsDer: [new Uint8Array(readFileSync(join(dir, 'root.der')))],
    intermediatesDer: [new Uint8Array(readFileSync(join(dir, 'intermediate.der')))],
    crlUrls: [server.crlUrl],
    crlFiles: [],
    ocspUrl: null,
    maxAgeMs: 300_000,
    maxCrlBytes: config.pivTrust.maxCrlBytes,
  });
  await probe.beginRun(new Date());
  const crlMs = performance.now() - crlStarted;
  const now = (): Date => new Date();
  const monitor = startCardMonitor({
    storage,
    settings: { ...config.eligibility, enabled: false },
    oracle,
    policy: () => Promise.resolve('flag'),
    now,
    warn: (message) => {
      console.log(`  warning: ${message.slice(0, 200)}`);
    },
    onCardRevoked: cardRevokedAction({
      storage,
      now,
      revokeAllForCard: () => Promise.reject(new Error('not used with flag')),
    }),
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const run = await monitor.runOnce();
  const runMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await monitor.stop();
  await storage.close();
  await server.close();
  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ run, runMs, crlMs, peakMb, cpuMs: (cpu.user + cpu.system) / 1000, reads, openMs }));
}

/** The seeded SQLite file, or the PostgreSQL database the parent copied it into. */
async function openMeasuredStorage(dir: string): Promise<IssuerStorage> {
  const settingsFile = join(dir, POSTGRES_SETTINGS_FILE);
  if (!existsSync(settingsFile)) return openSqliteStorage(join(dir, 'issuer.sqlite'));
  return openPostgresStorage(JSON.parse(readFileSync(settingsFile, 'utf8')) as PostgresSettings);
}

/** The seeded cards and derived certificates, copied into a new database of a private PostgreSQL cluster. */
async function copyToPostgres(dir: string, settings: PostgresSettings, before15: boolean): Promise<void> {
  const started = performance.now();
  if (!before15) await (await openPostgresStorage(settings)).close(); // the schema
  const sqlite = new Database(join(dir, 'issuer.sqlite'), { readonly: true });
  const client = new pg.Client({ connectionString: settings.url });
  await client.connect();
  try {
    if (before15) {
      await client.query(CREATE_SCHEMA_MIGRATIONS.replace(/INTEGER/g, 'BIGINT'));
      for (const m of postgresMigrations().filter((m) => m.version < BEFORE_15)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.description, Date.now()]);
      }
    }
    // The copies have no device authorizations or enrollments behind them (as on SQLite): foreign keys off.
    await client.query("SET session_replication_role = 'replica'");
    // Triggers are off with the foreign keys: migration 15's first-check entries are copied, not made again.
    const tables = ['cards', 'derived_certificates', ...(before15 ? [] : ['card_first_checks'])];
    for (const table of tables) {
      const columns = (sqlite.prepare(`SELECT * FROM ${table} LIMIT 1`).columns() as Array<{ name: string }>).map(
        (column) => column.name,
      );
      const typeOf = new Map(
        (
          await client.query<{ column_name: string; data_type: string }>(
            'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1',
            [table],
          )
        ).rows.map((row) => [row.column_name, row.data_type]),
      );
      const read = sqlite.prepare(`SELECT rowid AS copy_rowid, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`);
      for (let after = 0; ;) {
        const rows = read.all(after, SEED_BATCH) as Array<Record<string, unknown>>;
        const last = rows[rows.length - 1];
        if (last === undefined) break;
        after = Number(last.copy_rowid);
        const values = columns.map((column) => rows.map((row) => row[column]));
        const types = columns.map((column) => `${typeOf.get(column) ?? 'text'}[]`);
        await client.query(
          `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${types.map((type, i) => `$${i + 1}::${type}`).join(', ')})`,
          values,
        );
      }
    }
    await client.query('ANALYZE');
  } finally {
    await client.end();
    sqlite.close();
  }
  console.log(`copied into PostgreSQL in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const noneDue = args['none-due'];
  const before15 = args['before-migration-15'];
  if (args.measure !== undefined) {
    await measure(args.measure, noneDue);
    return;
  }
  const { credentials, 'crl-entries': crlEntries, revoked } = args;
  const work = mkdtempSync(join(tmpdir(), 'dck-bench-eligibility-'));
  const postgres = args.storage === 'postgres' ? await startPostgres({ durable: true }) : null;
  try {
    await seed(work, credentials, crlEntries, revoked, before15);
    if (postgres !== null) {
      const settings = await postgres.createDatabase();
      await copyToPostgres(work, settings, before15);
      writeFileSync(join(work, POSTGRES_SETTINGS_FILE), JSON.stringify(settings));
    }
    // The PostgreSQL cluster is a process of its own: this one may block while the measuring process runs.
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        process.argv[1] ?? 'bench/eligibility-monitor.ts',
        '--measure',
        work,
        ...(noneDue ? ['--none-due'] : []),
      ],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 3_600_000 },
    );
    const lines = output.trim().split('\n');
    for (const line of lines.slice(0, -1)) console.log(line);
    const figures = JSON.parse(lines[lines.length - 1] ?? '{}') as {
      run: Record<string, number>;
      runMs: number;
      crlMs: number;
      peakMb: number;
      cpuMs: number;
      reads: { pages: number; rows: number };
      openMs: number;
    };
    const { run, reads } = figures;
    console.log(
      `opening the store${before15 ? ' (migration 15 applied, its back-fill of every card)' : ''}: ${(figures.openMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `${args.storage}, ${credentials.toLocaleString('en')} linked cards${noneDue ? ', none due' : ''}: the store handed the monitor ` +
        `${reads.rows.toLocaleString('en')} card rows in ${reads.pages.toLocaleString('en')} pages`,
    );
    console.log(
      `monitor run: ${run.checked?.toLocaleString('en')} cards checked in ${(figures.runMs / 1000).toFixed(1)} s ` +
        `(${Math.round((run.checked ?? 0) / (figures.runMs / 1000)).toLocaleString('en')}/s): good ${run.good}, revoked ${run.revoked}, unknown ${run.unknown}, policy applied ${run.actionsDone}`,
    );
    console.log(
      `the run: ${figures.runMs.toFixed(1)} ms wall, ${figures.cpuMs.toFixed(1)} ms CPU (user + system, this process; ` +
        "the machine's other load excluded)",
    );
    console.log(`CRL download + parse + signature (loopback HTTP): ${(figures.crlMs / 1000).toFixed(2)} s`);
    console.log(`peak RSS of the measuring process: ${figures.peakMb.toFixed(0)} MB`);
  } finally {
    await postgres?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
