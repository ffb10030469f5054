// The stall watchdog (test/setup/stall-watchdog.ts) turns a test blocked in a synchronous call, which vitest's own
// timeouts cannot reach, into a failure of that test with a word of where it stood, and the run goes on to its end.
// Real vitest in a child process, on a fixture test that waits synchronously on `sleep 600`.
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';

function runStallingSuite(): Promise<{ code: number | null; output: string; seconds: number }> {
  const startedAt = Date.now();
  const child = spawn(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/setup/fixtures/vitest.stall.config.ts'],
    { env: { ...process.env, DCK_STALL_WATCHDOG_MS: '3000', NO_COLOR: '1', CI: 'true' }, stdio: 'pipe' },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const guard = setTimeout(() => child.kill('SIGKILL'), 100_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, output, seconds: (Date.now() - startedAt) / 1000 });
    });
  });
}

it('a test stuck in spawnSync fails where it stood, named, and the run ends with the next test run', async () => {
  const run = await runStallingSuite();
  expect(run.output).toMatch(
    /\[stall watchdog\] test process \d+ has run no JavaScript for \d+ s, in \S*stalls\.fixture\.ts › waits synchronously on a child that never ends\./,
  );
  expect(run.output).toMatch(/sleep 600/);
  // Also in the run's summary of failures, which is what a CI log's end shows.
  expect(run.output.slice(run.output.indexOf('Failed Tests'))).toContain('[stall watchdog] test process');
  expect(run.output).toContain('the stalled wait returned: its child was killed');
  expect(run.output).toMatch(/1 failed \| 1 passed/);
  expect(run.code).toBe(1);
  // Far below the 600 s the child would have slept (the watchdog at 3 s checks every 5 s).
  expect(run.seconds).toBeLessThan(90);
}, 120_000);
