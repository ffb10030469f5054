// Debian's real PostgreSQL 15 for the storage tests and the benchmark: a private cluster made by initdb in a temp
// dir, served by pg_ctl on a free loopback port (and a socket in the same dir), never the system cluster. PostgreSQL
// refuses to run as root, and CI runs as root: then the cluster belongs to `nobody` and both tools run through
// runuser. Requires the Debian package postgresql-15 (scripts/setup.sh installs it).
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { connectionTarget } from '../../../../issuer/storage/postgres-connection.ts';
import type { PostgresSettings } from '../../../../issuer/storage/postgres-connection.ts';

const run = promisify(execFile);

/** Where Debian's postgresql-15 puts initdb and pg_ctl (not on PATH); DCK_PG_BIN overrides it. */
export const POSTGRES_BIN = process.env.DCK_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** The cluster's superuser the tests connect as (trust authentication on loopback, in a throwaway cluster). */
const USER = 'dck';

export const postgresAvailable = (): boolean => existsSync(join(POSTGRES_BIN, 'pg_ctl'));

export interface PostgresServer {
  port: number;
  /** The directory of the server's Unix socket (`-k`): a URL whose host is this directory, percent-encoded, uses it. */
  socketDirectory: string;
  /** A new, empty database on this server; its settings for openPostgresStorage. */
  createDatabase(options?: Partial<PostgresSettings>): Promise<PostgresSettings>;
  /** Stops the server (fast shutdown: connections are cut, as in a crash of the database host's service). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP to the postmaster and its backends): connections stay open and new ones are accepted
   * by the kernel, but nothing answers, as with a database host that hangs or a network that drops packets.
   */
  pause(): void;
  /** Lets a paused server run on (SIGCONT). */
  resume(): void;
  /** The pids of the running cluster: the postmaster first, then its backends and background workers. */
  processes(): number[];
  /** Stops the server and deletes its data dir. */
  destroy(): Promise<void>;
  /** The same, synchronously (for a process exit handler). */
  stopAtExit(): void;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs one PostgreSQL tool as a user it accepts: ourselves, or `nobody` when we are root. */
function tool(name: string, args: string[]) {
  const binary = join(POSTGRES_BIN, name);
  const asRoot = process.getuid?.() === 0;
  return asRoot ? run('runuser', ['-u', 'nobody', '--', binary, ...args]) : run(binary, args);
}

let databases = 0;

/** The postmaster (first line of postmaster.pid) and its children (Linux /proc): every process of one cluster. */
function clusterProcesses(data: string): number[] {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // Field 4 of /proc/PID/stat is the parent pid; the command name before it is in parentheses.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false; // Gone meanwhile.
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/**
 * Starts a private cluster. `durable: false` turns off fsync (tests: a crash of the test machine loses nothing
 * anyone needs); the benchmark keeps the defaults but synchronous_commit off, the durability SQLite's WAL with
 * synchronous=NORMAL gives (a commit survives a process crash; a power cut may lose the latest ones).
 */
export async function startPostgres(
  options: {
    durable?: boolean;
    maxConnections?: number;
    /** TCP connections must give this password (scram-sha-256); without it, the server trusts every loopback user. */
    password?: string;
    /** Loads pg_stat_statements (with planning times): the benchmark's per-statement costs (bench/postgres-statements.ts). */
    statementStats?: boolean;
  } = {},
): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dck-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) chownSync(dir, 65534, 65534);
  const data = join(dir, 'data');
  const port = await freePort();
  const auth = ['--auth=trust'];
  if (options.password !== undefined) {
    // A throwaway password of a throwaway cluster: readable by the tool's user for initdb, deleted right after.
    const passwordFile = join(dir, 'initdb-password');
    writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o644 });
    auth.splice(0, 1, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${passwordFile}`);
  }
  try {
    await tool('initdb', ['-D', data, '-U', USER, ...auth, '-E', 'UTF8', '--no-instructions', '--no-sync']);
  } finally {
    rmSync(join(dir, 'initdb-password'), { force: true });
  }
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    `-c max_connections=${options.maxConnections ?? 200}`,
    options.durable === true ? '-c synchronous_commit=off' : '-c fsync=off -c synchronous_commit=off',
    ...(options.statementStats === true
      ? ['-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on']
      : []),
  ].join(' ');
  const start = async () => {
    await tool('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  };
  const stop = async () => {
    await tool('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();
  const url = (database: string) => `postgres://${USER}@127.0.0.1:${port}/${database}`;
  const signalCluster = (signal: NodeJS.Signals) => {
    for (const pid of clusterProcesses(data)) process.kill(pid, signal);
  };
  return {
    port,
    socketDirectory: dir,
    start,
    stop,
    pause: () => {
      signalCluster('SIGSTOP');
    },
    resume: () => {
      signalCluster('SIGCONT');
    },
    processes: () => clusterProcesses(data),
    createDatabase: async (overrides = {}) => {
      const name = `dck_${process.pid}_${(databases += 1)}`;
      const admin = new pg.Client({
        ...connectionTarget(url('postgres')),
        ...(options.password === undefined ? {} : { password: options.password }),
      });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return {
        url: url(name),
        passwordFile: null,
        poolSize: 10,
        statementTimeoutMs: 10_000,
        connectTimeoutMs: 10_000,
        tls: null,
        ...overrides,
      };
    },
    stopAtExit: () => {
      const binary = join(POSTGRES_BIN, 'pg_ctl');
      const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
      try {
        if (process.getuid?.() === 0)
          execFileSync('runuser', ['-u', 'nobody', '--', binary, ...args], { stdio: 'ignore', timeout: 90_000 });
        else execFileSync(binary, args, { stdio: 'ignore', timeout: 90_000 });
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<PostgresServer> | null = null;

/**
 * One server for the whole test process (a test file), started on first use: each test takes a new database on it.
 * It is stopped when the process exits (synchronously: an exit handler cannot wait), its data dir deleted.
 */
export function sharedPostgres(): Promise<PostgresServer> {
  if (shared === null) {
    shared = startPostgres();
    void shared.then((server) => {
      process.once('exit', () => {
        server.stopAtExit();
      });
    });
  }
  return shared;
}

/** Stops the process's shared server, if one was started (a test file's afterAll). */
export async function stopSharedPostgres(): Promise<void> {
  const server = shared;
  shared = null;
  if (server !== null) await (await server).destroy();
}
