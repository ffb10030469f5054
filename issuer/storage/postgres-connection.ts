// The PostgreSQL connection pool of the issuer's storage (npm `pg`), and the one way its adapter talks to it: a
// transaction that is retried when PostgreSQL aborted it for a serialization failure or a deadlock (nothing was
// committed), and whose connection failures become `storage-unavailable` (the database is down or restarting:
// the request fails cleanly, and the next one gets a fresh connection once the database is back).
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import { STORAGE_BUSY, STORAGE_UNAVAILABLE } from './issuer-storage.ts';

export type Row = Record<string, unknown>;

/** How the issuer reaches its PostgreSQL database (the `storage` section of the issuer config, parsed). */
export interface PostgresSettings {
  /** `postgres://user@host:port/database`, never with a password in it (see `passwordFile`). */
  url: string;
  /** A file holding the password (the config holds none); null: the server trusts the user or a client certificate. */
  passwordFile: string | null;
  poolSize: number;
  /** Server-side limit of one statement: a stuck query fails (storage-busy) instead of holding a connection. */
  statementTimeoutMs: number;
  /** How long a request waits for a connection (pool full, or the server not answering) before storage-unavailable. */
  connectTimeoutMs: number;
  /** null: plain TCP (loopback or a trusted network only); otherwise verified TLS against `caFile`. */
  tls: { caFile: string; serverName: string | null } | null;
}

/** A connection error or an administrator's shutdown: the database is not there; nothing of the request committed. */
export class StorageUnavailableError extends Error {
  readonly code = STORAGE_UNAVAILABLE;
  /** A short, secret-free name of the failure: a SQLSTATE, a socket error code (ECONNREFUSED), or a phrase. */
  constructor(readonly reason: string) {
    super(`the issuer database is unavailable (${reason})`);
    this.name = 'StorageUnavailableError';
  }
}

/** A statement that ran past `statementTimeoutMs`, or a lock wait that did: the same meaning as SQLite's busy. */
export class PostgresBusyError extends Error {
  readonly code = STORAGE_BUSY;
  constructor() {
    super('the issuer database did not answer within the statement timeout');
    this.name = 'PostgresBusyError';
  }
}

/** The SQLSTATE (or socket error code) of a failure, '' when it has none. */
export const codeOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : '';

/**
 * SQLSTATE class 08 (connection exception), 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too
 * many connections), and the socket's own errors; pg's "Connection terminated" carries no code, only its message.
 */
export function isUnavailableError(error: unknown): boolean {
  const code = codeOf(error);
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    message,
  );
}

/**
 * A conflict the adapter itself found (a conditional statement touched no row where the process knew it would:
 * postgres-audit.ts's cached chain head): thrown inside a transaction, it rolls it back and runs it again, as
 * PostgreSQL's serialization failures do.
 */
export class TransactionConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransactionConflictError';
  }
}

/**
 * 40001 serialization_failure and 40P01 deadlock_detected: the transaction was rolled back; running it again is safe.
 * So is a stale prepared plan (isStalePlan): the statement did not run.
 */
const isRetryableStatement = (error: unknown): boolean =>
  ['40001', '40P01'].includes(codeOf(error)) || isStalePlan(error);
const isRetryable = (error: unknown): boolean =>
  isRetryableStatement(error) || error instanceof TransactionConflictError;
/** 57014 query_canceled (statement_timeout), 55P03 lock_not_available (lock_timeout). */
const isTimeout = (error: unknown): boolean => ['57014', '55P03'].includes(codeOf(error));

/** A short, secret-free name for the failure (the server's message can quote parameters). */
function describe(error: unknown): string {
  const code = codeOf(error);
  if (code !== '') return code;
  const message = error instanceof Error ? error.message : '';
  return /timeout exceeded when trying to connect/.test(message)
    ? 'no connection within connectTimeoutMs'
    : 'connection lost';
}

function translate(error: unknown): Error {
  if (isUnavailableError(error)) return new StorageUnavailableError(describe(error));
  if (isTimeout(error)) return new PostgresBusyError();
  return error instanceof Error ? error : new Error(String(error));
}

const MAX_TRANSACTION_ATTEMPTS = 5;

/** The statements one transaction runs: rows, the first row (or null), or how many rows a change touched. */
export interface Sql {
  rows: (text: string, values?: readonly unknown[]) => Promise<Row[]>;
  one: (text: string, values?: readonly unknown[]) => Promise<Row | null>;
  count: (text: string, values?: readonly unknown[]) => Promise<number>;
  /**
   * Runs `callback` once this transaction has ended: `committed` is true only when its COMMIT (or, in `read`, every
   * statement) succeeded; a rollback, or a COMMIT whose answer was lost, is false. For what it holds in the process.
   */
  onEnd: (callback: (committed: boolean) => void) => void;
  /** The audit chains of the pool this transaction runs on (postgres-audit.ts takes and gives them back). */
  auditChains: PoolAuditChains;
}

/** An audit chain's head: the number and hash of its last row. */
export interface ChainHead {
  sequence: number;
  hash: string;
}

/**
 * The audit chains a pool writes (postgres-audit.ts): those no transaction holds now, and the heads this pool
 * committed last. Per pool, not per process: two pools in one process (tests, `dck admin` beside an issuer) are two
 * databases, or two writers of one.
 */
export interface PoolAuditChains {
  free: string[];
  committedHeads: Map<string, ChainHead>;
}

/**
 * Statements with parameters run as named prepared statements: PostgreSQL parses and plans each once per connection
 * instead of on every call. Measured on a private PostgreSQL 15 (a primary-key SELECT and UPDATE, 10,000 each, one
 * connection): 155–162 µs of the server's CPU per statement unnamed, 80–95 µs named. Names are kept for at most
 * MAX_NAMED_STATEMENTS texts, so statements built from filters (the audit search) cannot grow every connection's
 * cache without bound; past that, a new text runs unnamed.
 */
const MAX_NAMED_STATEMENTS = 500;

/** The names given to statement texts on one pool (every connection of the pool prepares the same name alike). */
function statementNamer(): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    const known = names.get(text);
    if (known !== undefined || names.size >= MAX_NAMED_STATEMENTS) return known;
    const name = `dck_${names.size + 1}`;
    names.set(text, name);
    return name;
  };
}

/** What the statements of every transaction on one pool share. */
interface PoolShared {
  statementName: (text: string) => string | undefined;
  auditChains: PoolAuditChains;
}

/**
 * 0A000 "cached plan must not change result type": a migration by another node changed a table this connection's
 * prepared `SELECT *` reads. Nothing ran; the connection is dropped (its prepared statements with it) and the
 * transaction runs again on another.
 */
const isStalePlan = (error: unknown): boolean =>
  codeOf(error) === '0A000' && error instanceof Error && /cached plan must not change result type/.test(error.message);

/** The statements of one transaction on `client`, and `end` to call once it has ended. */
function sqlOn(client: PoolClient, shared: PoolShared): { sql: Sql; end: (committed: boolean) => void } {
  const query = <R extends QueryResultRow>(text: string, values: readonly unknown[]) =>
    values.length === 0
      ? client.query<R>(text)
      : client.query<R>({ text, values: values as unknown[], name: shared.statementName(text) });
  const endCallbacks: ((committed: boolean) => void)[] = [];
  const sql: Sql = {
    rows: async (text, values = []) => (await query<Row>(text, values)).rows,
    one: async (text, values = []) => (await query<Row>(text, values)).rows[0] ?? null,
    count: async (text, values = []) => (await query<Row>(text, values)).rowCount ?? 0,
    onEnd: (callback) => {
      endCallbacks.push(callback);
    },
    auditChains: shared.auditChains,
  };
  const end = (committed: boolean) => {
    for (const callback of endCallbacks.splice(0)) callback(committed);
  };
  return { sql, end };
}

export interface PostgresPool {
  /** Runs `work` in one READ COMMITTED transaction (rows that decide a write are read FOR UPDATE). */
  transaction: <R>(work: (sql: Sql) => Promise<R>) => Promise<R>;
  /**
   * Statements on their own (autocommit): reads, and changes that are one statement. Run again, as a transaction
   * is, when PostgreSQL aborted a statement for a serialization failure or a deadlock (nothing of it committed), so
   * `work` must write with at most one statement: a second write failing would run the first again.
   */
  read: <R>(work: (sql: Sql) => Promise<R>) => Promise<R>;
  /** The audit chains this pool writes, owned by the pool as its statement names are (see PoolAuditChains). */
  readonly auditChains: PoolAuditChains;
  /** A dedicated connection for LISTEN (released by the caller). */
  connect: () => Promise<PoolClient>;
  end: () => Promise<void>;
}

/** BIGINT columns (times in ms, counts) come back as JS numbers: every value the issuer stores is below 2^53. */
const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function tlsOptions(tls: PostgresSettings['tls']) {
  if (tls === null) return false;
  return {
    ca: readFileSync(tls.caFile, 'utf8'),
    rejectUnauthorized: true,
    ...(tls.serverName === null ? {} : { servername: tls.serverName }),
  };
}

/**
 * Where to connect, from the URL (checked by storage-config.ts: no password, no parameters). Not pg's
 * `connectionString`: pg lays the parsed URL over the other options, and a URL without a password sets the password
 * to '' — the one from `passwordFile` was never sent.
 */
export function connectionTarget(url: string): { host: string; port: number; user: string; database: string } {
  const parsed = new URL(url);
  return {
    // An IPv6 literal comes bracketed from URL.
    host: decodeURIComponent(parsed.hostname.replace(/^\[(.+)\]$/, '$1')),
    port: parsed.port === '' ? DEFAULT_POSTGRES_PORT : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    database: decodeURIComponent(parsed.pathname.slice(1)),
  };
}

/** PostgreSQL's port when the URL names none. */
export const DEFAULT_POSTGRES_PORT = 5432;

export function openPostgresPool(settings: PostgresSettings, applicationName = 'dck-issuer'): PostgresPool {
  const password = settings.passwordFile === null ? undefined : readFileSync(settings.passwordFile, 'utf8').trim();
  const pool = new pg.Pool({
    ...connectionTarget(settings.url),
    ...(password === undefined ? {} : { password }),
    max: settings.poolSize,
    ssl: tlsOptions(settings.tls),
    statement_timeout: settings.statementTimeoutMs,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    application_name: applicationName,
    types,
  });
  // An idle connection the server dropped (restart) errors here; the pool discards it and opens a new one later.
  pool.on('error', () => undefined);

  const withClient = async <R>(work: (client: PoolClient) => Promise<R>): Promise<R> => {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error: unknown) {
      throw translate(error);
    }
    // A connection the server ends while it is checked out (a restart between two statements) emits 'error' on
    // the client; unheard, that would crash the process. The statement in flight fails on its own.
    let broken = false;
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      return await work(client);
    } catch (error: unknown) {
      broken ||= isUnavailableError(error) || isStalePlan(error);
      throw error;
    } finally {
      client.off('error', lost);
      // A connection that failed mid-way is not handed to the next request.
      client.release(broken);
    }
  };

  const shared: PoolShared = { statementName: statementNamer(), auditChains: { free: [], committedHeads: new Map() } };

  const transactionOnce = <R>(work: (sql: Sql) => Promise<R>): Promise<R> =>
    withClient(async (client) => {
      const { sql, end } = sqlOn(client, shared);
      let committed = false;
      try {
        await client.query('BEGIN');
        const result = await work(sql);
        await client.query('COMMIT');
        committed = true;
        return result;
      } catch (error: unknown) {
        if (!isUnavailableError(error)) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        end(committed);
      }
    });

  return {
    auditChains: shared.auditChains,
    transaction: async (work) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await transactionOnce(work);
        } catch (error: unknown) {
          if (!isRetryable(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw translate(error);
        }
      }
    },
    read: async (work) => {
      const readOnce = () =>
        withClient(async (client) => {
          const { sql, end } = sqlOn(client, shared);
          let committed = false;
          try {
            const result = await work(sql);
            committed = true;
            return result;
          } finally {
            end(committed);
          }
        });
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await readOnce();
        } catch (error: unknown) {
          if (!isRetryableStatement(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw translate(error);
        }
      }
    },
    connect: async () => {
      try {
        return await pool.connect();
      } catch (error: unknown) {
        throw translate(error);
      }
    },
    end: () => pool.end(),
  };
}
