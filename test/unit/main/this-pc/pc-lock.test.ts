// This PC's lock (main/this-pc/pc-lock.ts) on a real directory: one holder at a time, the second told who holds it;
// a lock whose process is gone or that stopped moving is taken over and said so; hostile lock files (garbage, huge,
// a symlink, a directory, another user's) never crash it, never follow a link, never remove another user's lock.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isHeldLock, LOCK_FILE, parseHolder, takePcLock } from '../../../../main/this-pc/pc-lock.ts';
import type { HeldPcLock, PcLockOptions } from '../../../../main/this-pc/pc-lock.ts';
import type { PcError } from '../../../../main/this-pc/pc-errors.ts';

const OPTIONS: PcLockOptions = { staleAfterMs: 60_000, uid: process.getuid?.() };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dck-pc-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = (): string => join(dir, LOCK_FILE);

function held(taken: HeldPcLock | PcError): HeldPcLock {
  if (!isHeldLock(taken)) throw new Error(`expected the lock, got: ${taken.message}`);
  return taken;
}

function refused(taken: HeldPcLock | PcError): PcError {
  if (isHeldLock(taken)) throw new Error('expected another-run, got the lock');
  return taken;
}

/** The pid of a process that has ended (and was reaped): what a run killed mid-way leaves in its lock. */
function deadPid(): number {
  const ended = spawnSync(process.execPath, ['-e', '']);
  if (ended.pid === undefined) throw new Error('no process');
  return ended.pid;
}

const writeLock = (content: string | Buffer): void => writeFileSync(lockFile(), content, { mode: 0o600 });

describe("this PC's lock", () => {
  it('one holder at a time: the second is told who holds it and since when; after release it is free', async () => {
    const first = held(await takePcLock(dir, OPTIONS));
    expect(first.takeOverNote).toBeNull();
    expect(statSync(lockFile()).mode & 0o777).toBe(0o600);
    const second = refused(await takePcLock(dir, OPTIONS));
    expect(second.code).toBe('another-run');
    expect(second.message).toMatch(
      new RegExp(
        `^Another enrollment on this PC is under way \\(pid ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\)\\. Wait for it to finish, then try again\\.$`,
      ),
    );
    await first.release();
    expect(existsSync(lockFile())).toBe(false);
    const third = held(await takePcLock(dir, OPTIONS));
    expect(third.takeOverNote).toBeNull();
    await third.release();
  });

  it('a lock whose process is gone is taken over, and the note says whose it was', async () => {
    const pid = deadPid();
    writeLock(JSON.stringify({ pid, host: hostname(), startedAt: '2026-12-06T10:00:00.000Z' }));
    const lock = held(await takePcLock(dir, OPTIONS));
    expect(lock.takeOverNote).toBe(
      `Took over the lock of an earlier run that is no longer running (pid ${pid}, started 2026-12-06T10:00:00.000Z).`,
    );
    expect(parseHolder(readFileSync(lockFile(), 'utf8'))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('a live pid whose lock stopped moving for longer than the longest step is taken over (pid reused)', async () => {
    writeLock(JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-12-06T10:00:00.000Z' }));
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockFile(), old, old);
    const lock = held(await takePcLock(dir, OPTIONS));
    expect(lock.takeOverNote).toMatch(
      /^Took over the lock of an earlier run that has not moved for 1[0-9]{2} s \(pid /,
    );
    await lock.release();
  });

  it('a run whose lock was taken over while it stalled leaves the new holder’s lock alone when it ends', async () => {
    const stalled = held(await takePcLock(dir, OPTIONS));
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockFile(), old, old);
    // The next run judges it stale (written by this same live pid, so only its age can make it stale) and takes over.
    const next = held(await takePcLock(dir, OPTIONS));
    expect(next.takeOverNote).toMatch(/^Took over the lock of an earlier run that has not moved for/);
    const nextLock = readFileSync(lockFile(), 'utf8');
    await stalled.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe(nextLock);
    expect(refused(await takePcLock(dir, OPTIONS)).code).toBe('another-run');
    await next.release();
    expect(existsSync(lockFile())).toBe(false);
  });

  it("another host's fresh lock (a shared profile) is not judged by pid: it holds", async () => {
    writeLock(JSON.stringify({ pid: deadPid(), host: 'another-pc.example', startedAt: '2026-12-06T10:00:00.000Z' }));
    expect(refused(await takePcLock(dir, OPTIONS)).message).toMatch(/^Another enrollment on this PC is under way/);
  });

  it.each([
    ['garbage', Buffer.from([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a])],
    ['JSON of another shape', '{"pid":"1; rm -rf /","host":"x","startedAt":"now"}'],
    ['a negative pid', JSON.stringify({ pid: -1, host: hostname(), startedAt: '2026-12-06T10:00:00.000Z' })],
    ['a huge file', Buffer.alloc(4 * 1024 * 1024, 0x20)],
  ])('a lock file with %s is not one of ours: taken over, none of it shown', async (_name, content) => {
    writeLock(content);
    const lock = held(await takePcLock(dir, OPTIONS));
    expect(lock.takeOverNote).toBe(
      'Took over the lock of an earlier run that left a lock file that is not one of ours.',
    );
    await lock.release();
  });

  it('a symlink as the lock is removed, never followed: its target stays as it was', async () => {
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me');
    symlinkSync(target, lockFile());
    const lock = held(await takePcLock(dir, OPTIONS));
    expect(lock.takeOverNote).toMatch(/^Took over the lock of an earlier run that left/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    await lock.release();
  });

  it('a directory where the lock goes: refused with the path to remove, not a crash', async () => {
    mkdirSync(lockFile());
    const error = refused(await takePcLock(dir, OPTIONS));
    expect(error).toEqual({
      code: 'another-run',
      message: `The enrollment lock ${lockFile()} could not be taken: if no enrollment is under way, remove it.`,
    });
  });

  it("another user's lock is not removed: refused, naming the file and its owner", async () => {
    writeLock(JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: '2026-12-06T10:00:00.000Z' }));
    const owner = statSync(lockFile()).uid;
    // This process as another user would see the file (the test cannot chown without root).
    const error = refused(await takePcLock(dir, { ...OPTIONS, uid: owner + 1 }));
    expect(error.message).toBe(
      `The enrollment lock ${lockFile()} belongs to another user (uid ${owner}): if no enrollment is under way, remove that file.`,
    );
    expect(existsSync(lockFile())).toBe(true);
  });
});
