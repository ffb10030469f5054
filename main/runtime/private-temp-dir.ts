// A temp directory for secrets (the demo issuer's CA key, server secret, database): 0700, named after this
// process (`<prefix><pid>-XXXXXX`), and removed on every way out this process can act on:
// - stop: the owner calls remove();
// - an uncaught error or process.exit(): the 'exit' event (Node emits it for both);
// - SIGTERM / SIGINT / SIGHUP while nobody else handles them (e.g. still starting): removed, then the signal is
//   raised again so the process ends as it would have. When the program has its own handler (`dck kiosk`), that
//   handler owns shutdown and remove() + 'exit' cover it.
// SIGKILL (and a power cut) leave the directory behind: nothing runs. The next process that creates one with the
// same prefix removes every `<prefix><pid>-*` whose PID is no longer alive (see removeStaleTempDirs).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateTempDir {
  readonly path: string;
  /** Removes the directory now (idempotent). */
  remove(): void;
}

const live = new Set<string>();
const CLEANUP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
let hooksInstalled = false;

/** rm -rf that retries a directory another process is still writing into (ENOTEMPTY), and never throws. */
function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch {
    // Still busy after the retries: what is left is swept at the next start (its PID will be dead).
  }
}

function removeLive(): void {
  for (const path of live) removeTree(path);
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Another handler means the program shuts down on its own (and calls remove()); ours must not pre-empt it.
  if (process.listenerCount(signal) > 1) return;
  removeLive();
  for (const name of CLEANUP_SIGNALS) process.off(name, onSignal);
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', removeLive);
  for (const signal of CLEANUP_SIGNALS) process.on(signal, onSignal);
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Removes `<prefix><pid>-*` directories in tmp whose process is gone and that this user owns. */
export function removeStaleTempDirs(prefix: string, directory = tmpdir()): string[] {
  const removed: string[] = [];
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-`);
  const uid = process.getuid?.();
  for (const name of readdirSync(directory)) {
    const owner = pattern.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || processIsAlive(Number(owner))) continue;
    const path = join(directory, name);
    try {
      if (uid !== undefined && statSync(path).uid !== uid) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
  return removed;
}

/** Creates `<tmp>/<prefix><pid>-XXXXXX` with mode 0700 (mkdtemp's) after sweeping stale ones. */
export function createPrivateTempDir(prefix: string): PrivateTempDir {
  removeStaleTempDirs(prefix);
  installHooks();
  const path = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  live.add(path);
  return {
    path,
    remove: () => {
      live.delete(path);
      removeTree(path);
    },
  };
}
