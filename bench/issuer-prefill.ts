// `bench:issuer --prefill N`: N finished enrollments written into the issuer's database before the measured run, so
// "1,000,000 enrollments already there, throughput within 10% of an empty database" (issue 15) can be measured on
// both backends. The rows are copies of one real enrollment the issuer has just completed (the template): its card,
// kiosk session, device authorization, enrollment, derived certificate, card eligibility row and audit rows, each
// copy with new ids, serials and token hashes (derived from the originals, so every reference between the rows
// still points at the copy's own rows). Written in batches, each one transaction of multi-row INSERTs, through the
// storage layer's own connection on PostgreSQL (postgres-connection.ts) and better-sqlite3 on SQLite.
//
// What differs from N real enrollments: every copy keeps the template's timestamps and certificate bytes (the
// card's and the derived certificate's DER are the template's; only the serial columns differ); the template's
// audit rows are those that name its device authorization, card or enrollment (device authorization, PKI-AUTH,
// pairing shown, approve, token, redeem), with every id in their details renamed as in the rows. The audit rows
// are chained as a real writer chains them (audit/audit-chain.ts): each batch is one chain of its own, as a
// writing process's is, registered in `audit_chains` with its head in the batch's transaction — so every committed
// state verifies (`dck admin audit verify`) and the chain's head is written once per batch, not moved one row at a
// time (the head trigger allows only that for updates; the insert of a new chain may carry any head).
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AUDIT_GENESIS_HASH, auditRowHash } from '../issuer/audit/audit-chain.ts';
import { openPostgresPool } from '../issuer/storage/postgres-connection.ts';
import type { PostgresSettings, Row } from '../issuer/storage/postgres-connection.ts';
import { ISSUER_DATABASE_FILE } from '../issuer/storage/sqlite-storage.ts';

/** The most a run may prefill: 5,000,000 enrollments are ≈ 30 million rows, tens of GB on PostgreSQL. */
export const MAX_PREFILL = 5_000_000;
/**
 * Enrollments per transaction. Measured on SQLite (2 shared cores, 20,000 enrollments): 1,000 per batch and 10,000
 * wrote at the same rate once the statements were prepared once, so the batch only bounds memory (≈ 30 MB of row
 * values at 5,000) and how long the issuer's own writers wait for the write lock between batches.
 */
const BATCH = 5_000;

/** Where to write: the SQLite data dir's database, or a PostgreSQL database. */
export type PrefillTarget = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; settings: PostgresSettings };

/**
 * One table's rows of a batch: the values every copy shares (the template's), and the columns that differ from
 * copy to copy with one array of values each (column-major, all of the same length: the batch's rows).
 */
interface TableRows {
  table: string;
  shared: Row;
  varying: Record<string, unknown[]>;
}

/** What a prefill needs of either backend (`?` placeholders in `rows`). */
interface PrefillDb {
  rows: (text: string, values?: readonly unknown[]) => Promise<Row[]>;
  /** Writes every table's rows in one transaction, in the order given (foreign keys). */
  write: (tables: readonly TableRows[]) => Promise<void>;
  close: () => Promise<void>;
}

const columnsOf = (rows: TableRows): string[] => [...Object.keys(rows.shared), ...Object.keys(rows.varying)];
const rowCount = (rows: TableRows): number => Object.values(rows.varying)[0]?.length ?? 0;

function openSqlite(dataDir: string): PrefillDb {
  const db = new Database(join(dataDir, ISSUER_DATABASE_FILE));
  // The issuer processes may hold the write lock for a moment (a periodic job): wait as they do.
  db.pragma('busy_timeout = 10000');
  // Every copy's ids and hashes are random, so each index insert lands on a random page of a growing B-tree: with
  // SQLite's default 2 MB page cache most of them read a page back from the file. 256 MB keeps the indexes' inner
  // pages in memory for the prefill's connection (the issuer's own connections are not changed).
  db.pragma('cache_size = -262144');
  // One prepared statement per table (and column list), run once per row: better-sqlite3 binds in-process, so a
  // multi-row VALUES list would only add a statement to prepare per batch and one large parameter array to build.
  const statements = new Map<string, Database.Statement>();
  const statementFor = (table: string, columns: readonly string[]): Database.Statement => {
    const text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  const writeTable = (rows: TableRows): void => {
    const statement = statementFor(rows.table, columnsOf(rows));
    const values: unknown[] = Object.values(rows.shared).map((value) => value ?? null);
    const sharedCount = values.length;
    const varying = Object.values(rows.varying);
    for (let row = 0, count = rowCount(rows); row < count; row += 1) {
      for (let column = 0; column < varying.length; column += 1)
        values[sharedCount + column] = varying[column]?.[row] ?? null;
      statement.run(values);
    }
  };
  const writeAll = db.transaction((tables: readonly TableRows[]) => tables.forEach(writeTable));
  return {
    rows: (text, values = []) => Promise.resolve(db.prepare(text).all(...values) as Row[]),
    write: (tables) => {
      writeAll.immediate(tables);
      return Promise.resolve();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

/**
 * PostgreSQL: one `INSERT … SELECT … FROM unnest($1::text[], …)` per table and batch: the varying columns travel as
 * one array parameter each, the shared ones as one scalar each, so a batch of 5,000 enrollments is six statements
 * whatever its size (a multi-row VALUES list needs a parameter per value, ≤ 65,535 per statement, and PostgreSQL
 * plans each anew). Not COPY FROM STDIN (pg-copy-streams): `npm install` in a worktree whose node_modules is a
 * symlink replaces the link with a fresh install (which fails here: Electron's download), and the unnest form
 * needs nothing beyond `pg`.
 */
function openPostgres(settings: PostgresSettings): PrefillDb {
  const pool = openPostgresPool({ ...settings, poolSize: 1, statementTimeoutMs: 600_000 }, 'dck-bench-prefill');
  const numbered = (text: string) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${(n += 1)}`);
  };
  let columnTypes: Map<string, string> | null = null;
  const typeOf = async (table: string, column: string): Promise<string> => {
    columnTypes ??= new Map(
      (
        await pool.read((sql) =>
          sql.rows(
            'SELECT table_name, column_name, udt_name FROM information_schema.columns WHERE table_schema = current_schema()',
          ),
        )
      ).map((row) => [`${String(row.table_name)}.${String(row.column_name)}`, String(row.udt_name)]),
    );
    const type = columnTypes.get(`${table}.${column}`);
    if (type === undefined) throw new Error(`prefill: no column ${table}.${column} in the PostgreSQL schema`);
    return type;
  };
  const insertFor = async (rows: TableRows): Promise<{ text: string; values: unknown[] }> => {
    const varying = Object.keys(rows.varying);
    const shared = Object.keys(rows.shared);
    const arrays = await Promise.all(
      varying.map(async (column, i) => `$${i + 1}::${await typeOf(rows.table, column)}[]`),
    );
    const scalars = await Promise.all(
      shared.map(async (column, i) => `$${varying.length + i + 1}::${await typeOf(rows.table, column)}`),
    );
    return {
      text:
        `INSERT INTO ${rows.table} (${[...shared, ...varying].join(', ')}) ` +
        `SELECT ${[...scalars, ...varying.map((column) => `u.${column}`)].join(', ')} ` +
        `FROM unnest(${arrays.join(', ')}) AS u(${varying.join(', ')})`,
      values: [...Object.values(rows.varying), ...Object.values(rows.shared).map((value) => value ?? null)],
    };
  };
  return {
    rows: (text, values = []) => pool.read((sql) => sql.rows(numbered(text), values)),
    write: async (tables) => {
      const statements = await Promise.all(tables.map(insertFor));
      await pool.transaction(async (sql) => {
        for (const { text, values } of statements) await sql.count(text, values);
      });
    },
    close: () => pool.end(),
  };
}

/** The template's rows, table by table, in the order their foreign keys need. */
interface Template {
  tables: Array<{ table: string; rows: Row[] }>;
  audit: Row[];
}

/** Columns whose values are ids, serials or hashes: new in every copy (the same original → the same new value). */
const RENAMED: Record<string, readonly string[]> = {
  cards: ['id', 'serial_number_hex', 'uuid'],
  kiosk_sessions: ['id', 'token_hash', 'card_id'],
  device_authorizations: [
    'id',
    'device_code_hash',
    'user_code_hash',
    'card_id',
    'enrollment_id',
    'access_token_hash',
    'pairing_session_id',
  ],
  enrollments: [
    'id',
    'device_authorization_id',
    'card_id',
    'kiosk_session_id',
    'derived_certificate_serial_hex',
    'affirmed_by_card_id',
  ],
  derived_certificates: ['serial_number_hex', 'card_id', 'device_authorization_id', 'enrollment_id', 'device_id'],
  card_eligibility: ['card_id'],
};

async function readTemplate(db: PrefillDb): Promise<Template> {
  const [enrollment] = await db.rows(
    "SELECT * FROM enrollments WHERE status = 'completed' ORDER BY completed_at DESC LIMIT 1",
  );
  if (enrollment === undefined) throw new Error('prefill: no completed enrollment to copy (complete one first)');
  const one = async (text: string, value: unknown): Promise<Row[]> => db.rows(text, [value]);
  const [device] = await one('SELECT * FROM device_authorizations WHERE id = ?', enrollment.device_authorization_id);
  if (device === undefined) throw new Error('prefill: the template enrollment has no device authorization');
  const tables = [
    { table: 'cards', rows: await one('SELECT * FROM cards WHERE id = ?', enrollment.card_id) },
    {
      table: 'kiosk_sessions',
      rows: await one('SELECT * FROM kiosk_sessions WHERE id = ?', enrollment.kiosk_session_id),
    },
    { table: 'device_authorizations', rows: [device] },
    { table: 'enrollments', rows: [enrollment] },
    {
      table: 'derived_certificates',
      rows: await one('SELECT * FROM derived_certificates WHERE enrollment_id = ?', enrollment.id),
    },
    {
      table: 'card_eligibility',
      rows: await one('SELECT * FROM card_eligibility WHERE card_id = ?', enrollment.card_id),
    },
  ];
  // Its audit rows: those that name it (the redeem's row is written just after completed_at, so not a time range).
  const names = [enrollment.id, enrollment.card_id, device.id].map(String);
  const audit = (
    await db.rows('SELECT * FROM audit_log WHERE at >= ? AND chain_id IS NOT NULL ORDER BY sequence', [
      device.created_at,
    ])
  ).filter((row) => names.some((name) => String(row.details).includes(JSON.stringify(name))));
  return { tables, audit };
}

/** Hex digits of a copy's number in its renamed values: 16^7 ≈ 268 million, above MAX_PREFILL. */
const COPY_DIGITS = 7;
/** Hex digits of an original's place among the template's values (a few dozen values). */
const PLACE_DIGITS = 2;
/** A renamed serial keeps at least this much of the run's salt: a 64-bit serial (16 hex digits) still has 6. */
const MIN_SERIAL_SALT_DIGITS = 6;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Copy `copy`'s value for each original id, serial or hash, keeping its shape (UUID, hex of the same length, or
 * text): the run's random salt, the original's place among the template's values, then the copy's number, written
 * with fixed widths. Unique by construction (no two copies share a number, no two runs a salt), and in ascending
 * order from one copy to the next, so each index takes the copies' keys at its right-hand edge. Measured on SQLite
 * (20,000 enrollments, 2 shared cores): keys from a SHA-256 per value landed on random pages of every index and
 * wrote ≈ 1,400 enrollments/s, falling as the file grew; ascending keys ≈ N/s (issuer/README.md, benchmark section).
 * The indexes hold as many keys as with random ones; a real enrollment made afterwards lands anywhere in them.
 */
function renamer(salt: string): (copy: number) => (value: string) => string {
  const places = new Map<string, number>();
  const placeOf = (value: string): string => {
    if (!places.has(value)) places.set(value, places.size);
    return (places.get(value) ?? 0).toString(16).padStart(PLACE_DIGITS, '0');
  };
  return (copy) => {
    const number = copy.toString(16).padStart(COPY_DIGITS, '0');
    return (value) => {
      if (UUID.test(value)) {
        const tail = `${placeOf(value)}${number}`.padStart(15, '0');
        return `${salt.slice(0, 8)}-${salt.slice(8, 12)}-4${salt.slice(12, 15)}-a${tail.slice(0, 3)}-${tail.slice(3)}`;
      }
      if (/^[0-9a-f]+$/i.test(value) && value.length <= 64) {
        // A positive serial (first digit below 8) of the original's length.
        const saltDigits = value.length - 1 - PLACE_DIGITS - COPY_DIGITS;
        if (saltDigits < MIN_SERIAL_SALT_DIGITS)
          throw new Error(`prefill: the template's serial ${value} is too short to copy (16 hex digits at least)`);
        return `1${salt.slice(0, saltDigits)}${placeOf(value)}${number}`;
      }
      return `${value}-${salt.slice(0, 16)}${number}`;
    };
  };
}

/** A template audit row's details as JSON text pieces, with a slot for each value a copy renames. */
type DetailsPieces = Array<string | { original: string }>;

function detailsPieces(detailsJson: string, renamed: (key: string, value: unknown) => boolean): DetailsPieces {
  const details = JSON.parse(detailsJson) as Record<string, unknown>;
  const pieces: DetailsPieces = [];
  Object.entries(details).forEach(([key, value], index) => {
    pieces.push(`${index === 0 ? '{' : ','}${JSON.stringify(key)}:`);
    pieces.push(typeof value === 'string' && renamed(key, value) ? { original: value } : JSON.stringify(value));
  });
  pieces.push(Object.keys(details).length === 0 ? '{}' : '}');
  return pieces;
}

/** The same text JSON.stringify gives for the details object with the renamed values in. */
const detailsText = (pieces: DetailsPieces, rename: (value: string) => string): string =>
  pieces.map((piece) => (typeof piece === 'string' ? piece : JSON.stringify(rename(piece.original)))).join('');

/** What every batch reuses: the template split into shared and varying columns, the audit details in pieces. */
interface CopyPlan {
  tables: Array<{ table: string; row: Row; shared: Row; varying: string[] }>;
  audit: Array<{
    at: number;
    event: string;
    outcome: 'success' | 'failure';
    code: string | null;
    details: DetailsPieces;
  }>;
}

/**
 * Columns the database's triggers keep (migration 13: how many enrollments refer to a session or device
 * authorization): left out, so a copy starts at the column's default and its enrollment's insert counts it.
 */
const KEPT_BY_TRIGGERS: readonly string[] = ['enrollment_count'];

function planCopies(template: Template): CopyPlan {
  const tables: CopyPlan['tables'] = [];
  const renamedValues = new Set<string>();
  for (const { table, rows } of template.tables)
    for (const row of rows) {
      const varying = (RENAMED[table] ?? []).filter((column) => typeof row[column] === 'string');
      varying.forEach((column) => renamedValues.add(String(row[column])));
      const shared = Object.fromEntries(
        Object.entries(row).filter(([column]) => !varying.includes(column) && !KEPT_BY_TRIGGERS.includes(column)),
      );
      tables.push({ table, row, shared, varying });
    }
  // The audit rows' details name ids only: those the rows rename, and the PKI-AUTH challenge's (not copied).
  const renamedInDetails = (key: string, value: unknown) =>
    typeof value === 'string' && (renamedValues.has(value) || key === 'challengeId');
  const audit = template.audit.map((row) => ({
    at: Number(row.at),
    event: String(row.event),
    outcome: row.outcome === 'failure' ? ('failure' as const) : ('success' as const),
    code: typeof row.code === 'string' ? row.code : null,
    details: detailsPieces(String(row.details), renamedInDetails),
  }));
  return { tables, audit };
}

/** One batch: copies `from` … `to - 1` of the template and their audit rows as one new chain, in one transaction. */
async function writeBatch(
  db: PrefillDb,
  plan: CopyPlan,
  from: number,
  to: number,
  renameFor: (copy: number) => (value: string) => string,
): Promise<number> {
  const tables: TableRows[] = plan.tables.map(({ table, shared, varying }) => ({
    table,
    shared,
    varying: Object.fromEntries(varying.map((column) => [column, []])),
  }));
  const auditColumns = [
    'at',
    'event',
    'outcome',
    'code',
    'details',
    'chain_id',
    'chain_sequence',
    'previous_hash',
    'hash',
  ];
  const audit: TableRows = {
    table: 'audit_log',
    shared: {},
    varying: Object.fromEntries(auditColumns.map((c) => [c, []])),
  };
  const chainId = randomUUID();
  let previousHash = AUDIT_GENESIS_HASH;
  let chainSequence = 0;
  for (let copy = from; copy < to; copy += 1) {
    const rename = renameFor(copy);
    plan.tables.forEach(({ row, varying }, t) => {
      const columns = tables[t]?.varying ?? {};
      for (const column of varying) columns[column]?.push(rename(String(row[column])));
    });
    for (const entry of plan.audit) {
      const details = detailsText(entry.details, rename);
      chainSequence += 1;
      const hash = auditRowHash(chainId, chainSequence, entry, details, previousHash);
      const values = [
        entry.at,
        entry.event,
        entry.outcome,
        entry.code,
        details,
        chainId,
        chainSequence,
        previousHash,
        hash,
      ];
      auditColumns.forEach((column, i) => audit.varying[column]?.push(values[i]));
      previousHash = hash;
    }
  }
  // The batch's chain, registered with its final head (a new chain row may carry any head: see the top).
  const chain: TableRows = {
    table: 'audit_chains',
    shared: {},
    varying: {
      chain_id: [chainId],
      writer: [`bench-prefill@${hostname()}:${process.pid}`],
      started_at: [plan.audit[0]?.at ?? 0],
      head_sequence: [chainSequence],
      head_hash: [previousHash],
    },
  };
  await db.write(chainSequence === 0 ? tables : [...tables, audit, chain]);
  return tables.reduce((sum, rows) => sum + rowCount(rows), 0) + chainSequence + (chainSequence === 0 ? 0 : 1);
}

/** Checks `--prefill`'s value: a whole number from 0 to MAX_PREFILL. */
export function checkPrefillCount(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > MAX_PREFILL)
    throw new RangeError(
      `--prefill must be a whole number of enrollments from 0 to ${MAX_PREFILL.toLocaleString('en')}`,
    );
  return count;
}

/** How far a prefill has come: enrollments and rows (all tables, audit rows included) written so far. */
export interface PrefillProgress {
  enrollments: number;
  rows: number;
}

/**
 * Writes `count` copies of the last completed enrollment into `target`; returns the rows written per table.
 * `progress` hears after each batch; `batchSize` enrollments go in each transaction (tests make it small).
 */
export async function prefillEnrollments(
  target: PrefillTarget,
  count: number,
  progress: (done: PrefillProgress) => void = () => undefined,
  batchSize = BATCH,
): Promise<{ enrollments: number; auditRows: number; rows: number }> {
  checkPrefillCount(count);
  const db = target.kind === 'sqlite' ? openSqlite(target.dataDir) : openPostgres(target.settings);
  try {
    const template = await readTemplate(db);
    const plan = planCopies(template);
    const renameFor = renamer(randomBytes(32).toString('hex'));
    let rows = 0;
    for (let from = 0; from < count; from += batchSize) {
      const to = Math.min(count, from + batchSize);
      rows += await writeBatch(db, plan, from, to, renameFor);
      progress({ enrollments: to, rows });
    }
    return { enrollments: count, auditRows: count * template.audit.length, rows };
  } finally {
    await db.close();
  }
}
