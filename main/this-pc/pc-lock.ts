// One `dck pc` run at a time per PC state: the PC app and the CLI (or two terminals) would otherwise both write the
// state file, and one run's sweep of unfinished keys (this-pc.ts) would delete the other's key while it waits for its
// certificate. Each enroll, renew and remove holds `lock` beside the state file (the state directory is per user,
// 0700) from before its first touch of the token or the state until its end, on every path.
//
// Taking it is atomic and never shows a half-written lock: the lock is written whole to a private temporary file and
// hard-linked to its name (link fails with EEXIST when the name exists). The holder touches it every HEARTBEAT_MS, so
// a lock is stale when its process is gone (same host, pid not alive) or it was not touched for longer than the
// longest step's deadline (pid reused, another host sharing a roaming profile): then it is taken over, and the run
// says so. A lock file this code could not have written (garbage, too big, not a file) is stale too; one owned by
// another user is not ours to remove and is refused.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pcError } from './pc-errors.ts';
import type { PcError } from './pc-errors.ts';

export const LOCK_FILE = 'lock';
/** A lock this code writes is one short JSON line; anything bigger is not one (read no further). */
const MAX_LOCK_BYTES = 1024;
/** How often the holder touches its lock: well under any staleness age, cheap (one utimes). */
export const HEARTBEAT_MS = 10_000;

/** What a lock says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface HeldPcLock {
  /** Why an earlier lock was taken over (said to the person), or null. */
  readonly takeOverNote: string | null;
  release(): Promise<void>;
}

export interface PcLockOptions {
  /** A lock not touched for longer than this is stale (the longest step's deadline: see pc-setup.ts). */
  readonly staleAfterMs: number;
  /** The user this process runs as (tests: another); undefined where there are no uids (Windows). */
  readonly uid?: number | undefined;
  readonly now?: () => number;
}

/** What one look at an existing lock found. */
type Existing =
  | { readonly kind: 'live'; readonly holder: LockHolder }
  | { readonly kind: 'stale'; readonly why: string; readonly ino: number }
  | { readonly kind: 'foreign'; readonly uid: number }
  | { readonly kind: 'gone' };

/** Takes the lock in `dir`, or says who holds it (`another-run`); takes over a stale one once. */
export async function takePcLock(dir: string, options: PcLockOptions): Promise<HeldPcLock | PcError> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, LOCK_FILE);
  const now = options.now ?? Date.now;
  const holder: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date(now()).toISOString() };
  let takeOverNote: string | null = null;
  // Twice at most: the second try follows removing a stale lock (or one that went while we looked).
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const ours = await createLock(target, holder);
    if (ours !== null) return heldLock(target, ours, takeOverNote);
    const existing = await inspectLock(target, options, now());
    if (existing.kind === 'live') return busy(existing.holder);
    if (existing.kind === 'foreign')
      return pcError(
        'another-run',
        `The enrollment lock ${target} belongs to another user (uid ${existing.uid}): if no enrollment is under way, remove that file.`,
      );
    if (existing.kind === 'stale') {
      // Remove only the file judged stale: a lock another run made meanwhile has another inode and stays.
      if ((await inodeOf(target)) === existing.ino) await unlink(target).catch(() => undefined);
      takeOverNote = `Took over the lock of an earlier run that ${existing.why}.`;
    }
  }
  const last = await inspectLock(target, options, now());
  return last.kind === 'live'
    ? busy(last.holder)
    : pcError(
        'another-run',
        `The enrollment lock ${target} could not be taken: if no enrollment is under way, remove it.`,
      );
}

export const isHeldLock = (taken: HeldPcLock | PcError): taken is HeldPcLock => 'release' in taken;

function busy(holder: LockHolder): PcError {
  return pcError(
    'another-run',
    `Another enrollment on this PC is under way (pid ${holder.pid}, started ${holder.startedAt}). Wait for it to finish, then try again.`,
  );
}

/**
 * Written whole to a private file, then linked to the lock's name: the text of the lock when this run holds it now
 * (unique: it names this run), null when another lock is there.
 */
async function createLock(target: string, holder: LockHolder): Promise<string | null> {
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // The run id makes this lock's text this run's alone (an inode number is reused as soon as a lock is removed).
  const text = `${JSON.stringify({ ...holder, run: randomBytes(8).toString('hex') })}\n`;
  await writeFile(temporary, text, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, target);
    return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * The lock this run wrote (its text `ours`). Its heartbeat and its release touch that lock only: a run that stalled
 * past the staleness age may find its lock taken over by another run, whose lock it must neither keep alive nor
 * remove. (Between the check and the unlink another run could still replace it: Node has no flock; the window is the
 * microseconds between two system calls, and only after a stall the next run already judged stale.)
 */
function heldLock(target: string, ours: string, takeOverNote: string | null): HeldPcLock {
  const stillOurs = async (): Promise<boolean> => (await lockText(target)) === ours;
  const heartbeat = setInterval(() => {
    const at = new Date();
    void stillOurs()
      .then((held) => (held ? utimes(target, at, at) : undefined))
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    takeOverNote,
    release: async () => {
      clearInterval(heartbeat);
      if (await stillOurs()) await rm(target, { force: true });
    },
  };
}

/** The lock's text (no symlink followed, at most MAX_LOCK_BYTES), or null when there is none to read. */
async function lockText(target: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_LOCK_BYTES, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

async function inodeOf(target: string): Promise<number | null> {
  return lstat(target).then(
    (stats) => stats.ino,
    () => null,
  );
}

/** Reads an existing lock defensively: no symlink followed, at most MAX_LOCK_BYTES, its owner checked. */
async function inspectLock(target: string, options: PcLockOptions, now: number): Promise<Existing> {
  let handle;
  try {
    handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    // A symlink (ELOOP) or anything else that will not open as a file was not written by this code.
    const ino = await inodeOf(target);
    return ino === null ? { kind: 'gone' } : { kind: 'stale', why: 'left an unreadable lock file', ino };
  }
  try {
    const stats = await handle.stat();
    if (options.uid !== undefined && stats.uid !== options.uid) return { kind: 'foreign', uid: stats.uid };
    const stale = (why: string): Existing => ({ kind: 'stale', why, ino: stats.ino });
    if (!stats.isFile() || stats.size > MAX_LOCK_BYTES) return stale('left a lock file that is not one of ours');
    const buffer = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_LOCK_BYTES, 0);
    const holder = parseHolder(buffer.subarray(0, bytesRead).toString('utf8'));
    if (holder === null) return stale('left a lock file that is not one of ours');
    const idleMs = now - stats.mtimeMs;
    if (idleMs > options.staleAfterMs)
      return stale(`has not moved for ${Math.round(idleMs / 1000)} s (pid ${holder.pid}, started ${holder.startedAt})`);
    if (holder.host === hostname() && !processAlive(holder.pid))
      return stale(`is no longer running (pid ${holder.pid}, started ${holder.startedAt})`);
    return { kind: 'live', holder };
  } finally {
    await handle.close();
  }
}

/** The holder a lock names, or null for anything else (its text reaches the person's screen: checked strictly). */
export function parseHolder(text: string): LockHolder | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, host, startedAt } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
  // Only compared with this host's name, never shown.
  if (typeof host !== 'string' || host.length > 255) return null;
  if (typeof startedAt !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/.test(startedAt)) return null;
  return { pid, host, startedAt };
}

/** Signal 0 checks without signalling: EPERM means the pid is alive (another user's process), ESRCH that it is not. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
