// Ctrl-C ends the demo hosts: `dck agent --browser --demo` and `dck kiosk --browser` print "stopping…" on SIGINT and
// then exit by themselves with code 0, their private pcscd, virtual card and issuer gone. The console once left its
// PC/SC watcher running (nobody stopped its card port), so the process retried a vanished pcscd for ever.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Starts `dck <args>`, waits for `ready` in its output, sends SIGINT, and waits (at most 30 s) for it to end. */
async function interruptOnceReady(args: string[], ready: string): Promise<Ended> {
  const child = spawn('node', ['bin/dck.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const ended = new Promise<Ended>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal, output });
    });
  });
  const started = Date.now();
  while (!output.includes(ready)) {
    if (child.exitCode !== null) return ended;
    if (Date.now() - started > 120_000) throw new Error(`never ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGINT');
  const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000));
  const outcome = await Promise.race([ended, timeout]);
  if (outcome === 'still running') {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    throw new Error(`still running 30 s after Ctrl-C:\n${output}`);
  }
  return outcome;
}

describe('demo hosts stop on Ctrl-C', () => {
  it('dck agent --browser --demo exits with 0 after "stopping…"', async () => {
    const ended = await interruptOnceReady(['agent', '--browser', '--demo', '--no-open'], 'agent console: ');
    expect(ended.output).toContain('stopping…');
    expect(ended.code).toBe(0);
  }, 180_000);

  it('dck kiosk --browser exits with 0 after "stopping…"', async () => {
    const ended = await interruptOnceReady(['kiosk', '--browser', '--no-open'], 'Play the phone');
    expect(ended.output).toContain('stopping…');
    expect(ended.code).toBe(0);
  }, 180_000);
});
