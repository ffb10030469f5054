// Test harness: a private software TPM (swtpm) per test process, on two free neighbouring loopback ports with its own state
// directory, and a tpm2-pkcs11 store directory beside it. The env variables tpm2-pkcs11 reads are set on this
// process (the module is loaded in-process through pkcs11js) and returned for child tools (pkcs11-tool, NSS).
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SoftwareTpm {
  readonly directory: string;
  /** TPM2_PKCS11_TCTI and TPM2_PKCS11_STORE for child processes (already set on process.env). */
  readonly env: NodeJS.ProcessEnv;
  /**
   * Flushes every transient object and session from the TPM: the job the kernel's resource manager (/dev/tpmrm0)
   * does on a real PC when a program closes its connection, which swtpm reached over TCP does not do.
   */
  flushTransient(): void;
  /** SIGSTOP: the TPM stops answering (connections stay open, commands wait), as a hung TPM does. */
  pause(): void;
  /** SIGCONT: it answers again. */
  resume(): void;
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The swtpm TCTI finds the control channel at port + 1 (libtss2-tcti-swtpm), so both ports must be free. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 20_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 1))) return port;
  }
  throw new Error('no two free neighbouring loopback ports');
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`swtpm exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('swtpm did not open its port');
}

export async function startSoftwareTpm(): Promise<SoftwareTpm> {
  const directory = mkdtempSync(join(tmpdir(), 'dck-swtpm-'));
  const state = join(directory, 'state');
  const store = join(directory, 'store');
  mkdirSync(state);
  mkdirSync(store);
  const port = await freePortPair();
  const controlPort = port + 1;
  const child = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${state}`,
      '--server',
      `type=tcp,port=${port},bindaddr=127.0.0.1`,
      '--ctrl',
      `type=tcp,port=${controlPort},bindaddr=127.0.0.1`,
      '--flags',
      'not-need-init,startup-clear',
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(port, child);
  const env = { TPM2_PKCS11_TCTI: `swtpm:host=127.0.0.1,port=${port}`, TPM2_PKCS11_STORE: store, TSS2_LOG: 'all+NONE' };
  Object.assign(process.env, env);
  return {
    directory,
    env: { ...process.env, ...env },
    flushTransient: () => {
      for (const kind of ['-t', '-l', '-s']) {
        execFileSync('tpm2_flushcontext', [kind], {
          env: { ...process.env, TPM2TOOLS_TCTI: env.TPM2_PKCS11_TCTI },
          stdio: 'ignore',
          // A TPM that does not answer (paused, or serving another connection) fails the test, never hangs it.
          timeout: 30_000,
        });
      }
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    stop: async () => {
      child.kill('SIGCONT'); // a paused swtpm would not act on SIGTERM
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
