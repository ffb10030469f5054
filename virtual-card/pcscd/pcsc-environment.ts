/**
 * A private pcscd for tests, with a vsmartcard vpcd reader pair on free TCP ports.
 *
 * Isolation: pcscd always creates its socket at /run/pcscd/pcscd.comm, so we start it in its own
 * mount namespace with a per-process host directory bind-mounted over /run/pcscd:
 *   unshare -m --propagation private sh -c 'mount --bind <dir> /run/pcscd && exec pcscd --foreground -c <conf>'
 * The socket then appears at <dir>/pcscd.comm on the host. Clients (libpcsclite: `smartcard`,
 * OpenSC, yubico-piv-tool) find it through PCSCLITE_CSOCK_NAME.
 *
 * ONE ENVIRONMENT PER PROCESS: libpcsclite caches the socket path for the life of a process, so the
 * host directory is chosen once per process and reused by every environment this process starts
 * (one at a time). Child processes get `env`.
 *
 * Fallback: when unshare is refused (not root, no CAP_SYS_ADMIN), pcscd runs un-isolated on the
 * system socket and vpcd's default port 35963; then only one environment can run on the machine.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTcpNoDelayShim } from './tcp-nodelay-shim.ts';
import { listReaders } from './reader-state.ts';

export { listReaders, waitForReaderState } from './reader-state.ts';
export type { ReaderState, ReaderStatus } from './reader-state.ts';

export interface PcscEnvironmentOptions {
  /** LD_PRELOAD the TCP_NODELAY shim into pcscd (default true: ~44 ms per APDU without it). */
  readonly tcpNoDelay?: boolean;
  /** Start pcscd with `--debug --apdu` so its log (logPath) shows every APDU. Default false. */
  readonly logApdus?: boolean;
}

export interface PcscEnvironment {
  /** pcscd's socket on the host: the value of PCSCLITE_CSOCK_NAME. */
  readonly socketPath: string;
  /** Environment for child processes (process.env + PCSCLITE_CSOCK_NAME). */
  readonly env: NodeJS.ProcessEnv;
  /** TCP port of the first vpcd reader; the second reader listens on vpcdPort + 1. */
  readonly vpcdPort: number;
  /** PC/SC name of the reader at vpcdPort ("Virtual PCD 00 00"). */
  readonly readerName: string;
  /** PC/SC name of the reader at vpcdPort + 1 ("Virtual PCD 00 01"). */
  readonly secondReaderName: string;
  /** False when unshare was refused and the system socket is used. */
  readonly isolated: boolean;
  /** pcscd's stdout/stderr, appended across restarts. */
  readonly logPath: string;
  /** Whether pcscd is running now. */
  readonly running: boolean;
  restartPcscd(): Promise<void>;
  stopPcscd(): Promise<void>;
  startPcscd(): Promise<void>;
  /** Stops pcscd and removes the configuration; the environment cannot be used afterwards. */
  stop(): Promise<void>;
}

const SYSTEM_SOCKET = '/run/pcscd/pcscd.comm';
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const VPCD_DEFAULT_PORT = 35963;
const READER_BASE_NAME = 'Virtual PCD';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

let processRunDir: string | undefined;
let activeEnvironment: PcscEnvironment | undefined;
const liveDaemons = new Set<ChildProcess>();

// A test that crashes must not leave its pcscd behind: kill what this process started on exit.
process.once('exit', () => {
  for (const daemon of liveDaemons) daemon.kill('SIGKILL');
  if (processRunDir) rmSync(processRunDir, { recursive: true, force: true });
});

/** The host directory bind-mounted over /run/pcscd; the same for the life of this process. */
function runDirForThisProcess(): string {
  if (processRunDir === undefined) {
    removeDirectoriesOfDeadProcesses();
    processRunDir = mkdtempSync(join(tmpdir(), `dck-pcscd-${process.pid}-`));
  }
  return processRunDir;
}

/** A worker killed with SIGKILL cannot clean up; its successor removes what it left in tmp. */
function removeDirectoriesOfDeadProcesses(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = /^dck-pcscd-(\d+)-/.exec(name)?.[1];
    if (owner !== undefined && !processIsAlive(Number(owner)))
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export async function startPcscEnvironment(options: PcscEnvironmentOptions = {}): Promise<PcscEnvironment> {
  if (activeEnvironment) {
    throw new Error('pcsc-environment: one environment per process; stop() the previous one first');
  }
  const shim = options.tcpNoDelay === false ? undefined : await buildTcpNoDelayShim();
  const isolated = await unshareWorks();
  const baseDir = runDirForThisProcess();
  mkdirSync(baseDir, { recursive: true, mode: 0o700 });
  const hostRunDir = join(baseDir, 'run');
  mkdirSync(hostRunDir, { recursive: true });
  const socketPath = isolated ? join(hostRunDir, 'pcscd.comm') : SYSTEM_SOCKET;
  const env: NodeJS.ProcessEnv = { ...process.env, PCSCLITE_CSOCK_NAME: socketPath };
  process.env.PCSCLITE_CSOCK_NAME = socketPath;

  let lastError: unknown;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const port = isolated ? await findFreePortPair() : VPCD_DEFAULT_PORT;
    const daemon = new PcscDaemon({
      baseDir,
      hostRunDir,
      socketPath,
      env,
      port,
      isolated,
      shim,
      logApdus: options.logApdus === true,
    });
    try {
      await daemon.start();
      const environment = environmentFor(daemon);
      activeEnvironment = environment;
      return environment;
    } catch (error) {
      lastError = error;
      await daemon.stop();
      if (!isolated) break; // the fixed system port will not become free by retrying
    }
  }
  throw new Error(`pcsc-environment: pcscd did not come up: ${String(lastError)}`);
}

function environmentFor(daemon: PcscDaemon): PcscEnvironment {
  let stopped = false;
  const environment: PcscEnvironment = {
    socketPath: daemon.config.socketPath,
    env: daemon.config.env,
    vpcdPort: daemon.config.port,
    readerName: `${READER_BASE_NAME} 00 00`,
    secondReaderName: `${READER_BASE_NAME} 00 01`,
    isolated: daemon.config.isolated,
    logPath: daemon.logPath,
    get running() {
      return daemon.running;
    },
    startPcscd: () => daemon.start(),
    stopPcscd: () => daemon.stop(),
    restartPcscd: async () => {
      await daemon.stop();
      await daemon.start();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await daemon.stop();
      // The directory goes, its path stays reserved: the next environment of this process recreates it.
      rmSync(daemon.config.baseDir, { recursive: true, force: true });
      if (activeEnvironment === environment) activeEnvironment = undefined;
    },
  };
  return environment;
}

interface DaemonConfig {
  readonly baseDir: string;
  readonly hostRunDir: string;
  readonly socketPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  readonly isolated: boolean;
  readonly shim: string | undefined;
  readonly logApdus: boolean;
}

/** One pcscd process at a time, restartable, with the same socket path and ports each time. */
class PcscDaemon {
  /** Holds readerConfDir and the log (never inside readerConfDir: pcscd parses every file there). */
  readonly confDir: string;
  readonly readerConfDir: string;
  readonly logPath: string;
  private child: ChildProcess | undefined;

  constructor(readonly config: DaemonConfig) {
    this.confDir = mkdtempSync(join(config.baseDir, `conf-${config.port}-`));
    this.readerConfDir = join(this.confDir, 'reader.conf.d');
    mkdirSync(this.readerConfDir);
    this.logPath = join(this.confDir, 'pcscd.log');
    const portHex = `0x${config.port.toString(16).toUpperCase()}`;
    writeFileSync(
      join(this.readerConfDir, 'vpcd'),
      `FRIENDLYNAME "${READER_BASE_NAME}"\nDEVICENAME /dev/null:${portHex}\nLIBPATH ${VPCD_DRIVER}\nCHANNELID ${portHex}\n`,
    );
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { hostRunDir, isolated, shim, logApdus } = this.config;
    // A SIGKILLed pcscd leaves its socket and pid file; the next one must not trip over them.
    if (isolated)
      for (const name of ['pcscd.comm', 'pcscd.pid', 'pcscd.pub']) rmSync(join(hostRunDir, name), { force: true });
    const pcscdArgs = ['--foreground', '-c', this.readerConfDir, ...(logApdus ? ['--debug', '--apdu'] : [])];
    // setpriv --pdeathsig: pcscd gets SIGTERM when this process dies, even by SIGKILL, so a killed
    // test worker never leaves a pcscd behind (unshare, setpriv and sh all exec, keeping our child's PID).
    const orphanGuard = ['setpriv', '--pdeathsig', 'TERM'];
    const command = isolated ? 'unshare' : 'setpriv';
    const args = isolated
      ? [
          '-m',
          '--propagation',
          'private',
          ...orphanGuard,
          'sh',
          '-c',
          'mount --bind "$0" /run/pcscd && exec pcscd "$@"',
          hostRunDir,
          ...pcscdArgs,
        ]
      : [...orphanGuard.slice(1), 'pcscd', ...pcscdArgs];
    const log = openSync(this.logPath, 'a');
    const child = spawn(command, args, {
      stdio: ['ignore', log, log],
      env: { ...this.config.env, ...(shim ? { LD_PRELOAD: shim } : {}) },
    });
    closeSync(log);
    this.child = child;
    liveDaemons.add(child);
    child.once('exit', () => liveDaemons.delete(child));
    try {
      await this.waitUntilReady();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const child = this.child;
    while (Date.now() < deadline) {
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`pcscd exited early (code ${String(child?.exitCode)}); log: ${this.logPath}`);
      }
      if (existsSync(this.config.socketPath)) {
        const readers = await listReaders(this.config.env).catch(() => []);
        if (readers.some((reader) => reader.name === `${READER_BASE_NAME} 00 00`)) return;
      }
      await sleep(50);
    }
    throw new Error(`pcscd did not list the vpcd reader within ${START_TIMEOUT_MS} ms; log: ${this.logPath}`);
  }
}

let unshareVerdict: Promise<boolean> | undefined;

/** Whether this machine lets us create a private mount namespace and bind-mount (root or CAP_SYS_ADMIN). */
function unshareWorks(): Promise<boolean> {
  unshareVerdict ??= new Promise((resolve) => {
    const probeDir = mkdtempSync(join(tmpdir(), 'dck-unshare-probe-'));
    const probe = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /run/pcscd', probeDir],
      {
        stdio: 'ignore',
      },
    );
    probe.once('error', () => resolve(false));
    probe.once('exit', (code) => {
      rmSync(probeDir, { recursive: true, force: true });
      resolve(code === 0);
    });
  });
  return unshareVerdict;
}

/** A port P such that P and P+1 are both free on all interfaces (vpcd binds 0.0.0.0). */
async function findFreePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 1))) return port;
  }
  throw new Error('pcsc-environment: no free TCP port pair found');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
