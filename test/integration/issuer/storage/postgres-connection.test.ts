// The PostgreSQL pool's statements on a private server (postgres-server.ts): statements with parameters run as named
// prepared statements, and a connection whose prepared plan another node's migration made stale (0A000, "cached plan
// must not change result type") is dropped and the work runs again, in a transaction or a read; a read PostgreSQL
// aborted for a deadlock runs again too, as a transaction does.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresPool } from '../../../../issuer/storage/postgres-connection.ts';
import type { PostgresPool } from '../../../../issuer/storage/postgres-connection.ts';
import { startPostgres } from './postgres-server.ts';
import type { PostgresServer } from './postgres-server.ts';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server.destroy();
});

async function withPool(work: (pool: PostgresPool, other: PostgresPool) => Promise<void>): Promise<void> {
  const settings = await server.createDatabase({ poolSize: 1 });
  const pool = openPostgresPool(settings);
  const other = openPostgresPool(settings, 'dck-other-node');
  try {
    await other.transaction(async (sql) => {
      await sql.count('CREATE TABLE things (id BIGINT PRIMARY KEY, name TEXT NOT NULL)');
      await sql.count("INSERT INTO things VALUES (1, 'one')");
    });
    await work(pool, other);
  } finally {
    await pool.end();
    await other.end();
  }
}

const readThing = (pool: PostgresPool) => pool.read((sql) => sql.one('SELECT * FROM things WHERE id = $1', [1]));
const addColumn = (other: PostgresPool) =>
  other.transaction((sql) => sql.count("ALTER TABLE things ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'"));

describe('PostgreSQL pool', () => {
  it('prepares a statement with parameters once per connection', async () => {
    await withPool(async (pool) => {
      for (let n = 0; n < 3; n += 1) await readThing(pool);
      const prepared = await pool.read((sql) =>
        sql.rows("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT * FROM things%'"),
      );
      expect(prepared).toHaveLength(1);
    });
  });

  it('a read whose prepared plan a migration made stale runs again on a fresh connection', async () => {
    await withPool(async (pool, other) => {
      expect(await readThing(pool)).toEqual({ id: 1, name: 'one' });
      await addColumn(other);
      expect(await readThing(pool)).toEqual({ id: 1, name: 'one', colour: 'red' });
    });
  });

  it('so does a transaction, which commits once', async () => {
    await withPool(async (pool, other) => {
      await readThing(pool);
      await addColumn(other);
      let runs = 0;
      const thing = await pool.transaction(async (sql) => {
        runs += 1;
        await sql.count('UPDATE things SET name = $1 WHERE id = $2', ['uno', 1]);
        return sql.one('SELECT * FROM things WHERE id = $1', [1]);
      });
      expect(thing).toEqual({ id: 1, name: 'uno', colour: 'red' });
      expect(runs).toBe(2);
    });
  });

  it('a one-statement write PostgreSQL aborted for a deadlock (40P01) runs again and commits once', async () => {
    const settings = await server.createDatabase({ poolSize: 1 });
    const other = new pg.Client({ connectionString: settings.url });
    await other.connect();
    // PostgreSQL aborts the side whose deadlock check runs once the cycle has formed; each side checks once, after
    // its deadlock_timeout. The read's check (3 s, set before its pool connects) comes after the cycle forms even on
    // a loaded machine, and the other client's (60 s) never comes: with both at 1 s the read's check could come too
    // early, find no cycle, and leave the other client to be aborted (seen under load).
    await other.query(`ALTER DATABASE ${pg.escapeIdentifier(other.database ?? '')} SET deadlock_timeout = '3s'`);
    await other.query("SET deadlock_timeout = '60s'");
    const pool = openPostgresPool(settings);
    try {
      await pool.transaction((sql) => sql.count('CREATE TABLE things (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)'));
      await pool.transaction((sql) => sql.count('INSERT INTO things VALUES (1, 0), (2, 0)'));
      // The other client holds row 2; the read's one statement locks row 1, then waits for row 2.
      await other.query('BEGIN');
      await other.query('UPDATE things SET n = n + 10 WHERE id = 2');
      let runs = 0;
      const read = pool.read((sql) => {
        runs += 1;
        return sql.count('UPDATE things SET n = n + 1 WHERE id IN ($1, $2)', [1, 2]);
      });
      for (let waited = 0; waited < 200; waited += 1) {
        const waiting = await other.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
        if (waiting.rowCount !== 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Now the other client waits for row 1: a deadlock, which PostgreSQL breaks by aborting the read's statement.
      await other.query('UPDATE things SET n = n + 10 WHERE id = 1');
      await other.query('COMMIT');
      expect(await read).toBe(2);
      expect(runs).toBe(2);
      const rows = await other.query('SELECT id, n FROM things ORDER BY id');
      expect(rows.rows).toEqual([
        { id: '1', n: '11' },
        { id: '2', n: '11' },
      ]);
    } finally {
      await other.end();
      await pool.end();
    }
  });
});
