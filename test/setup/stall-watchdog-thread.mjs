// The stall watchdog's thread (see stall-watchdog.ts): it runs beside the test process's main thread, so a main
// thread blocked in a synchronous call does not stop it. Plain JavaScript: a worker thread does not inherit vitest's
// TypeScript loader, and loading tsx in every test process's thread cost ~150 ms of CPU per test file.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { workerData } from 'node:worker_threads';

// workerData (stall-watchdog.ts): beat (Float64Array: the main thread's last Date.now()), where (where it stands: file
// and test) and report (what this thread did, for the main thread to fail the test with), both NUL-padded UTF-8.
const { beat, where, report, stallMs, pid } = workerData;
const CHECK_MS = 5_000;

/** Pids whose parent is `parent`, from /proc (the fields after the command's closing parenthesis). */
function childrenOf(parent) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

/** The test process and everything under it, as ps prints them (what each waits in: wchan). */
function processTree() {
  const pids = [pid];
  for (let next = 0; next < pids.length; next++) pids.push(...childrenOf(pids[next]));
  try {
    return execFileSync('ps', ['-o', 'pid,ppid,etime,stat,wchan:20,args', '--forest', '-p', pids.join(',')], {
      encoding: 'utf8',
      timeout: 10_000,
    });
  } catch (error) {
    return `(ps failed: ${error instanceof Error ? error.message : String(error)})`;
  }
}

const say = (text) => writeSync(2, `\n[stall watchdog] ${text}\n`);
const standing = () => Buffer.from(where.slice()).toString('utf8').replace(/\0+$/, '');
let childrenKilledAt = 0;

setInterval(() => {
  const quietMs = Date.now() - beat[0];
  if (quietMs < stallMs) {
    childrenKilledAt = 0;
    return;
  }
  if (childrenKilledAt === 0) {
    const children = childrenOf(pid);
    const text =
      `test process ${pid} has run no JavaScript for ${Math.round(quietMs / 1000)} s, in ${standing()}.\n` +
      `Its processes:\n${processTree()}\nKilling its children (${children.join(', ') || 'none'}) so that a ` +
      'synchronous wait on one of them returns and the test fails where it stands.';
    say(text);
    report.set(Buffer.from(`[stall watchdog] ${text}`).subarray(0, report.length - 1));
    for (const child of children) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    childrenKilledAt = Date.now();
    return;
  }
  if (Date.now() - childrenKilledAt >= stallMs) {
    say(`test process ${pid} is still stuck in ${standing()}; ending it.`);
    process.kill(pid, 'SIGKILL');
  }
}, CHECK_MS);
