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
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditRowHash } from '../issuer/audit/audit-chain.ts';
import { openPostgresPool } from '../issuer/storage/postgres-connection.ts';
import type { PostgresSettings, Row } from '../issuer/storage/postgres-connection.ts';
import { ISSUER_DATABASE_FILE } from '../issuer/storage/sqlite-storage.ts';

/** The most a run may prefill: 5,000,000 enrollments are ≈ 30 million rows, tens of GB on PostgreSQL. */
export const MAX_PREFILL = 5_000_000;
/** Enrollments per transaction: large enough that commits cost nothing, small enough to keep each one short. */
const BATCH = 1_000;
/** Bound parameters per INSERT statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

/** Where to write: the SQLite data dir's database, or a PostgreSQL database. */
export type PrefillTarget = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; settings: PostgresSettings };

/** The statements a prefill needs, on either backend (`?` placeholders). */
interface PrefillDb {
  rows: (text: string, values?: readonly unknown[]) => Promise<Row[]>;
  transaction: (
    work: (run: (text: string, values: readonly unknown[]) => Promise<void>) => Promise<void>,
  ) => Promise<void>;
  close: () => Promise<void>;
}

function openSqlite(dataDir: string): PrefillDb {
  const db = new Database(join(dataDir, ISSUER_DATABASE_FILE));
  // The issuer processes may hold the write lock for a moment (a periodic job): wait as they do.
  db.pragma('busy_timeout = 10000');
  return {
    rows: (text, values = []) => Promise.resolve(db.prepare(text).all(...values) as Row[]),
    transaction: async (work) => {
      const statements: Array<[string, readonly unknown[]]> = [];
      await work((text, values) => {
        statements.push([text, values]);
        return Promise.resolve();
      });
      db.transaction(() => {
        for (const [text, values] of statements) db.prepare(text).run(...values);
      }).immediate();
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}

function openPostgres(settings: PostgresSettings): PrefillDb {
  const pool = openPostgresPool({ ...settings, poolSize: 1, statementTimeoutMs: 600_000 }, 'dck-bench-prefill');
  const numbered = (text: string) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${(n += 1)}`);
  };
  return {
    rows: (text, values = []) => pool.read((sql) => sql.rows(numbered(text), values)),
    transaction: (work) =>
      pool.transaction((sql) =>
        work(async (text, values) => {
          await sql.count(numbered(text), values);
        }),
      ),
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Copy `copy`'s value for an original id, serial or hash: same shape (UUID, hex of the same length, or text). */
function renamer(salt: string): (value: string, copy: number) => string {
  return (value, copy) => {
    const digest = createHash('sha256').update(`${salt}:${copy}:${value}`).digest('hex');
    if (UUID.test(value))
      return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-4${digest.slice(13, 16)}-a${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
    // A positive serial (first nibble below 8) of the original's length, up to 64 hex digits.
    if (/^[0-9a-f]+$/i.test(value) && value.length <= 64) return `1${digest.slice(1, value.length)}`;
    return `${value}-${digest.slice(0, 16)}`;
  };
}

/** Multi-row INSERTs of `rows` (all with the same columns), split to stay under the parameter limit. */
async function insertRows(
  run: (text: string, values: readonly unknown[]) => Promise<void>,
  table: string,
  rows: Row[],
) {
  const columns = Object.keys(rows[0] ?? {});
  if (columns.length === 0) return;
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length));
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let from = 0; from < rows.length; from += perStatement) {
    const chunk = rows.slice(from, from + perStatement);
    await run(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      chunk.flatMap((row) => columns.map((column) => row[column] ?? null)),
    );
  }
}

function copyRow(row: Row, renamed: readonly string[], rename: (value: string) => string): Row {
  const copy: Row = { ...row };
  for (const column of renamed) {
    const value = row[column];
    if (typeof value === 'string') copy[column] = rename(value);
  }
  return copy;
}

/** One batch: copies `from` … `to - 1` of the template and their audit rows as one new chain, in one transaction. */
async function writeBatch(db: PrefillDb, template: Template, from: number, to: number, salt: string): Promise<void> {
  const rename = renamer(salt);
  // Every original value the copies rename, so the audit rows' details (ids only) follow the rows they name.
  const renamedValues = new Set<string>();
  for (const { table, rows } of template.tables)
    for (const row of rows)
      for (const column of RENAMED[table] ?? []) if (typeof row[column] === 'string') renamedValues.add(row[column]);
  await db.transaction(async (run) => {
    for (const { table, rows } of template.tables) {
      const copies: Row[] = [];
      for (let copy = from; copy < to; copy += 1)
        for (const row of rows) copies.push(copyRow(row, RENAMED[table] ?? [], (value) => rename(value, copy)));
      await insertRows(run, table, copies);
    }
    if (template.audit.length === 0) return;
    const chainId = randomUUID();
    let previousHash = '0'.repeat(64);
    let chainSequence = 0;
    const auditRows: Row[] = [];
    for (let copy = from; copy < to; copy += 1) {
      for (const row of template.audit) {
        const details = JSON.parse(String(row.details)) as Record<string, unknown>;
        for (const [key, value] of Object.entries(details))
          if (typeof value === 'string' && (renamedValues.has(value) || key === 'challengeId'))
            details[key] = rename(value, copy);
        const detailsJson = JSON.stringify(details);
        const entry = {
          at: Number(row.at),
          event: String(row.event),
          outcome: row.outcome as 'success' | 'failure',
          code: typeof row.code === 'string' ? row.code : null,
        };
        chainSequence += 1;
        const hash = auditRowHash(chainId, chainSequence, entry, detailsJson, previousHash);
        auditRows.push({
          ...entry,
          details: detailsJson,
          chain_id: chainId,
          chain_sequence: chainSequence,
          previous_hash: previousHash,
          hash,
        });
        previousHash = hash;
      }
    }
    await insertRows(run, 'audit_log', auditRows);
    await run(
      'INSERT INTO audit_chains (chain_id, writer, started_at, head_sequence, head_hash) VALUES (?, ?, ?, ?, ?)',
      [chainId, `bench-prefill@${hostname()}:${process.pid}`, auditRows[0]?.at ?? 0, chainSequence, previousHash],
    );
  });
}

/** Checks `--prefill`'s value: a whole number from 0 to MAX_PREFILL. */
export function checkPrefillCount(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > MAX_PREFILL)
    throw new RangeError(
      `--prefill must be a whole number of enrollments from 0 to ${MAX_PREFILL.toLocaleString('en')}`,
    );
  return count;
}

/**
 * Writes `count` copies of the last completed enrollment into `target`; returns the rows written per table.
 * `progress` hears after each batch (enrollments written so far).
 */
export async function prefillEnrollments(
  target: PrefillTarget,
  count: number,
  progress: (written: number) => void = () => undefined,
): Promise<{ enrollments: number; auditRows: number }> {
  checkPrefillCount(count);
  const db = target.kind === 'sqlite' ? openSqlite(target.dataDir) : openPostgres(target.settings);
  try {
    const template = await readTemplate(db);
    const salt = randomBytes(8).toString('hex');
    for (let from = 0; from < count; from += BATCH) {
      const to = Math.min(count, from + BATCH);
      await writeBatch(db, template, from, to, salt);
      progress(to);
    }
    return { enrollments: count, auditRows: count * template.audit.length };
  } finally {
    await db.close();
  }
}
