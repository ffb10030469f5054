// A PostgreSQL store that cannot be opened stops the issuer's start with a plain sentence naming the setting to fix
// (issuer/storage/postgres-start-errors.ts), never PostgreSQL's or the socket's raw error: a database that does not
// exist (SQLSTATE 3D000), a wrong password (28P01), no password where one is asked, an unreadable password file, and
// a refused connection. `dck issuer` prints that sentence and exits 1, with one process and with workers.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../issuer/config.ts';
import { startIssuer } from '../../../../issuer/start-issuer.ts';
import { startPostgres } from './postgres-server.ts';
import type { PostgresServer } from './postgres-server.ts';

const runFile = promisify(execFile);
const PASSWORD = 'right-horse-battery';

let server: PostgresServer;
let dir = '';
let good: { url: string; host: string };

beforeAll(async () => {
  server = await startPostgres({ password: PASSWORD });
  dir = mkdtempSync(join(tmpdir(), 'dck-pg-start-'));
  writeFileSync(join(dir, 'right-password'), PASSWORD, { mode: 0o600 });
  writeFileSync(join(dir, 'wrong-password'), 'wrong-horse-battery', { mode: 0o600 });
  const database = await server.createDatabase();
  good = { url: database.url, host: `127.0.0.1:${server.port}` };
}, 60_000);
afterAll(async () => {
  await server?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The error a start with this `storage` section ends with (none expected to start). */
async function startFailure(storage: Record<string, unknown>): Promise<unknown> {
  const issuer = await startIssuer({
    dataDir: join(dir, 'data'),
    port: 0,
    config: { storage: { kind: 'postgres', connectTimeoutMs: 5_000, ...storage } },
  }).catch((error: unknown) => error);
  if (issuer instanceof Error) return issuer;
  await (issuer as { close: () => Promise<void> }).close();
  return new Error('the issuer started');
}

async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return port;
}

describe('PostgreSQL storage that cannot be opened at start', () => {
  it('names storage.url when the database does not exist', async () => {
    const error = await startFailure({
      url: `postgres://dck@${good.host}/dck_no_such_database`,
      passwordFile: join(dir, 'right-password'),
    });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `issuer config: storage.url: the database "dck_no_such_database" does not exist on ${good.host} (create it, owned by the user "dck", or correct the database name)`,
    );
  });

  it('names storage.passwordFile when the password is wrong', async () => {
    const error = await startFailure({ url: good.url, passwordFile: join(dir, 'wrong-password') });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `issuer config: storage.passwordFile: PostgreSQL on ${good.host} refused the password of the user "dck" (check the password in storage.passwordFile and the user in storage.url)`,
    );
    expect((error as Error).message).not.toContain('wrong-horse-battery');
  });

  it('names storage.passwordFile when the server asks for a password and none is configured', async () => {
    const error = await startFailure({ url: good.url });
    expect((error as Error).message).toBe(
      `issuer config: storage.passwordFile: PostgreSQL on ${good.host} asks the user "dck" for a password: put it in a file and name it here`,
    );
  });

  it('names storage.passwordFile when the file cannot be read', async () => {
    const error = await startFailure({ url: good.url, passwordFile: join(dir, 'no-such-file') });
    expect((error as Error).message).toBe('issuer config: storage.passwordFile: cannot be read (ENOENT)');
  });

  it('names storage.url when nothing accepts connections there', async () => {
    const port = await closedPort();
    const error = await startFailure({ url: `postgres://dck@127.0.0.1:${port}/dck` });
    expect((error as Error).message).toBe(
      `issuer config: storage.url: nothing accepts connections on 127.0.0.1:${port} (is PostgreSQL running there, and listening on that address and port?)`,
    );
  });

  it('starts with the right password (the cases above fail for their own reason only)', async () => {
    const issuer = await startIssuer({
      dataDir: join(dir, 'data'),
      port: 0,
      config: { storage: { kind: 'postgres', url: good.url, passwordFile: join(dir, 'right-password') } },
    });
    await issuer.close();
  });

  it.each([1, 2])('dck issuer --workers %i prints the sentence and exits 1', async (workers) => {
    const configFile = join(dir, `missing-database-${workers}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        storage: {
          kind: 'postgres',
          url: `postgres://dck@${good.host}/dck_no_such_database`,
          passwordFile: join(dir, 'right-password'),
        },
      }),
    );
    const run = await runFile(
      process.execPath,
      ['bin/dck.js', 'issuer', '--workers', String(workers), '--config', configFile, '--data', join(dir, 'cli-data')],
      { encoding: 'utf8' },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `dck issuer: issuer config: storage.url: the database "dck_no_such_database" does not exist on ${good.host} (create it, owned by the user "dck", or correct the database name)`,
    );
  });
});
