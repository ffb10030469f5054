/** `dck virtual-card` as a user runs it: starts, is seen as a PIV card, stops on SIGTERM, refuses bad options. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { runClient } from './client-run.ts';

let environment: PcscEnvironment;
const workDir = mkdtempSync(join(tmpdir(), 'dck-vcard-cli-'));

beforeAll(async () => {
  environment = await startPcscEnvironment();
});
afterAll(async () => {
  await environment.stop();
  rmSync(workDir, { recursive: true, force: true });
});

function dck(...args: string[]) {
  return runClient(environment.env, 'node', ['bin/dck.js', 'virtual-card', ...args]);
}

describe('dck virtual-card', () => {
  it('runs a card pcscd sees, with a PIN from a file, until SIGTERM', async () => {
    const pinFile = join(workDir, 'pin');
    writeFileSync(pinFile, '24681357\n');
    const child = spawn(
      'node',
      [
        'bin/dck.js',
        'virtual-card',
        '--profile',
        'p256',
        '--port',
        String(environment.vpcdPort),
        '--pin-file',
        pinFile,
      ],
      {
        env: environment.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForReaderState(environment.env, environment.readerName, 'present', 30_000);
      expect(output).toContain('profile p256');
      expect(output).toContain(`vpcd 127.0.0.1:${environment.vpcdPort}`);
      expect(output).not.toContain('24681357');
      const verified = await runClient(environment.env, 'yubico-piv-tool', [
        '-r',
        'Virtual',
        '-a',
        'verify-pin',
        '-P',
        '24681357',
      ]);
      expect(verified.code, verified.stderr).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped after \d+ APDUs/);
    await waitForReaderState(environment.env, environment.readerName, 'empty');
  });

  it('refuses unknown options and profiles with a usage message', async () => {
    const badProfile = await dck('--profile', 'nope');
    expect(badProfile.code).toBe(2);
    expect(badProfile.stderr).toContain(
      'unknown profile "nope"; profiles: rsa2048, p256, p384, compressed, global-pin, blocked, expired',
    );
    const badOption = await dck('--colour', 'red');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('"--colour" is not an option of dck virtual-card');
    const badPort = await dck('--port', '70000');
    expect(badPort.code).toBe(2);
    const badPin = join(workDir, 'bad-pin');
    writeFileSync(badPin, '12ab');
    const badPinFile = await dck('--pin-file', badPin);
    expect(badPinFile.code).toBe(2);
    expect(badPinFile.stderr).not.toContain('12ab');
  });
});
