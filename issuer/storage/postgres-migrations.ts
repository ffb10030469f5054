// The PostgreSQL store runs the SAME migrations as SQLite (sqlite-migrations.ts, the one set): each one's SQL is
// translated by the few rules below (column types, the identity column), and its triggers, the one part that is
// SQLite dialect, are replaced by the PostgreSQL triggers listed here under the same version. A migration that adds
// a trigger without its PostgreSQL twin here fails at start (and in test/integration/issuer/storage/), never
// silently: the append-only audit log must hold on both stores. POSTGRES_ONLY_MIGRATIONS adds what PostgreSQL alone
// needs (a function), never a table, column or index.
import type { Migration } from './sqlite-migrations.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
import type { Sql } from './postgres-connection.ts';
import { sealAuditGenesis } from './postgres-audit.ts';

/** The PostgreSQL twin of each migration's SQLite triggers, by version. */
export const POSTGRES_TRIGGERS: Readonly<Record<number, string>> = {
  1: `
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  `,
  2: `
    CREATE FUNCTION audit_exports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_exports is append-only'; END $$;
    CREATE TRIGGER audit_exports_no_update BEFORE UPDATE ON audit_exports
      FOR EACH ROW EXECUTE FUNCTION audit_exports_append_only();
    CREATE TRIGGER audit_exports_no_delete BEFORE DELETE ON audit_exports
      FOR EACH ROW EXECUTE FUNCTION audit_exports_append_only();
    DROP TRIGGER audit_log_no_delete ON audit_log;
    CREATE FUNCTION audit_log_delete_only_exported() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.sequence > (SELECT COALESCE(MAX(up_to_sequence), 0) FROM audit_exports) THEN
          RAISE EXCEPTION 'audit_log is append-only: only exported rows may be dropped';
        END IF;
        RETURN OLD;
      END $$;
    CREATE TRIGGER audit_log_delete_only_exported BEFORE DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_delete_only_exported();
  `,
  8: `
    CREATE FUNCTION audit_chains_head_only_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.chain_id <> OLD.chain_id OR NEW.writer <> OLD.writer OR NEW.started_at <> OLD.started_at
          OR NEW.head_sequence <> OLD.head_sequence + 1 THEN
          RAISE EXCEPTION 'audit_chains: a head only moves one row forward';
        END IF;
        RETURN NEW;
      END $$;
    CREATE TRIGGER audit_chains_head_only_forward BEFORE UPDATE ON audit_chains
      FOR EACH ROW EXECUTE FUNCTION audit_chains_head_only_forward();
    CREATE FUNCTION audit_chain_tables_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
    CREATE TRIGGER audit_chains_no_delete BEFORE DELETE ON audit_chains
      FOR EACH ROW EXECUTE FUNCTION audit_chain_tables_append_only();
    CREATE TRIGGER audit_chain_genesis_no_update BEFORE UPDATE ON audit_chain_genesis
      FOR EACH ROW EXECUTE FUNCTION audit_chain_tables_append_only();
    CREATE TRIGGER audit_chain_genesis_no_delete BEFORE DELETE ON audit_chain_genesis
      FOR EACH ROW EXECUTE FUNCTION audit_chain_tables_append_only();
    CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit_chain_tables_append_only();
    CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit_chain_tables_append_only();
  `,
  13: `
    CREATE FUNCTION enrollments_count_references() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE kiosk_sessions SET enrollment_count = enrollment_count + 1 WHERE id = NEW.kiosk_session_id;
          UPDATE device_authorizations SET enrollment_count = enrollment_count + 1
            WHERE id = NEW.device_authorization_id;
        ELSE
          UPDATE kiosk_sessions SET enrollment_count = enrollment_count - 1 WHERE id = OLD.kiosk_session_id;
          UPDATE device_authorizations SET enrollment_count = enrollment_count - 1
            WHERE id = OLD.device_authorization_id;
        END IF;
        RETURN NULL;
      END $$;
    CREATE TRIGGER enrollments_counted_on_insert AFTER INSERT ON enrollments
      FOR EACH ROW EXECUTE FUNCTION enrollments_count_references();
    CREATE TRIGGER enrollments_counted_on_delete AFTER DELETE ON enrollments
      FOR EACH ROW EXECUTE FUNCTION enrollments_count_references();
    CREATE FUNCTION enrollments_references_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'enrollments: an enrollment keeps its session and device authorization'; END $$;
    CREATE TRIGGER enrollments_references_fixed BEFORE UPDATE OF kiosk_session_id, device_authorization_id
      ON enrollments FOR EACH ROW
      WHEN (NEW.kiosk_session_id IS DISTINCT FROM OLD.kiosk_session_id
        OR NEW.device_authorization_id IS DISTINCT FROM OLD.device_authorization_id)
      EXECUTE FUNCTION enrollments_references_fixed();
  `,
  15: `
    CREATE FUNCTION derived_certificates_schedule_checks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM card_eligibility WHERE card_id = NEW.card_id) THEN
          INSERT INTO card_first_checks (card_id, first_issued_at) VALUES (NEW.card_id, NEW.issued_at)
            ON CONFLICT (card_id) DO NOTHING;
        END IF;
        UPDATE card_eligibility SET next_check_at = NEW.issued_at
          WHERE card_id = NEW.card_id AND next_check_at IS NULL AND verdict <> 'revoked';
        RETURN NULL;
      END $$;
    CREATE TRIGGER derived_certificates_schedule_checks AFTER INSERT ON derived_certificates
      FOR EACH ROW EXECUTE FUNCTION derived_certificates_schedule_checks();
    CREATE FUNCTION card_eligibility_first_check_done() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM card_first_checks WHERE card_id = NEW.card_id;
        RETURN NULL;
      END $$;
    CREATE TRIGGER card_eligibility_first_check_done AFTER INSERT ON card_eligibility
      FOR EACH ROW EXECUTE FUNCTION card_eligibility_first_check_done();
  `,
};

/**
 * Migrations PostgreSQL alone needs (no table, column or index: the schemas stay equal), numbered among SQLite's
 * (a version is never in both lists: postgresMigrations refuses it).
 */
export const POSTGRES_ONLY_MIGRATIONS: readonly Migration[] = [
  {
    version: 14,
    description: 'dck_audited_change: an audited change in one statement fails whole when its audit row is not written',
    // postgres-audit.ts's auditedChange: the statement's answer, or an error (SQLSTATE DCK01) that rolls the whole
    // statement back when the change matched but the cached chain head was stale, so no audit row was written.
    sql: `
      CREATE FUNCTION dck_audited_change(changed BIGINT, written BIGINT) RETURNS BIGINT LANGUAGE plpgsql AS $$
        BEGIN
          IF changed > 0 AND written <> 1 THEN
            RAISE EXCEPTION 'a change without its audit row: the audit chain head was not where this process left it'
              USING ERRCODE = 'DCK01';
          END IF;
          RETURN changed;
        END $$;
    `,
  },
];

/** SQLite's migrations (translated) and PostgreSQL's own, in ascending version order. */
export function postgresMigrations(): Migration[] {
  const sqliteVersions = new Set(SQLITE_MIGRATIONS.map((migration) => migration.version));
  const twice = POSTGRES_ONLY_MIGRATIONS.filter((migration) => sqliteVersions.has(migration.version));
  if (twice.length > 0)
    throw new Error(`migration ${twice.map((m) => m.version).join(', ')}: in SQLite's list and PostgreSQL's own`);
  return [
    ...SQLITE_MIGRATIONS.map((migration) => ({ ...migration, sql: toPostgresSql(migration) })),
    ...POSTGRES_ONLY_MIGRATIONS,
  ].sort((a, b) => a.version - b.version);
}

const SQLITE_TRIGGER = /CREATE\s+TRIGGER\b[\s\S]*?\bEND\s*;/gi;
const SQLITE_DROP_TRIGGER = /DROP\s+TRIGGER\s+\w+\s*;/gi;

/** True when the SQLite SQL of a migration creates or drops a trigger (it then needs its PostgreSQL twin). */
export const hasSqliteTriggers = (sql: string): boolean =>
  new RegExp(SQLITE_TRIGGER.source, 'i').test(sql) || new RegExp(SQLITE_DROP_TRIGGER.source, 'i').test(sql);

/**
 * SQLite → PostgreSQL: INTEGER holds milliseconds since the epoch (past 2^31), so it is BIGINT; BLOB is BYTEA; the
 * AUTOINCREMENT key is an identity column. Everything else in the migrations is written portable.
 */
export function toPostgresSql(migration: Migration): string {
  const triggers = POSTGRES_TRIGGERS[migration.version];
  if (hasSqliteTriggers(migration.sql) && triggers === undefined) {
    throw new Error(
      `migration ${migration.version} has SQLite triggers and no PostgreSQL twin in postgres-migrations.ts`,
    );
  }
  const portable = migration.sql
    .replace(SQLITE_TRIGGER, '')
    .replace(SQLITE_DROP_TRIGGER, '')
    .replace(/\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b/gi, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bBLOB\b/g, 'BYTEA');
  return `${portable}\n${triggers ?? ''}`;
}

/** Any constant: the advisory lock that lets one node at a time migrate a shared database. */
const MIGRATION_LOCK = 815_700_001;

/**
 * Applies missing migrations in one transaction under an advisory lock, so nodes starting together apply each once;
 * ascending by version, gaps tolerated, exactly as the SQLite runner does.
 */
export async function applyPostgresMigrations(sql: Sql): Promise<void> {
  await sql.one('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await sql.count(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  );
  const applied = new Set((await sql.rows('SELECT version FROM schema_migrations')).map((row) => Number(row.version)));
  const pending = postgresMigrations().filter((migration) => !applied.has(migration.version));
  // A back-fill reads every row of a large table once: migration 15 on 1,000,000 cards ran past the requests'
  // statement timeout (10 s by default) and the issuer could not start (bench/eligibility-monitor.ts
  // --before-migration-15). Not cut short in this transaction, which applies them once at start.
  if (pending.length > 0) await sql.count('SET LOCAL statement_timeout = 0');
  for (const migration of pending) {
    await sql.count(migration.sql);
    await sql.count('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [
      migration.version,
      migration.description,
      Date.now(),
    ]);
  }
  // Once, with migration 8: the rows written before the chain began get their seal (issuer/audit/audit-chain.ts).
  await sealAuditGenesis(sql, Date.now());
}
