// `--reader NAME` of `dck kiosk --browser` and `dck agent --browser`: a kiosk and a console on one machine each read
// their own reader. A name that cannot be a reader's is a wrong command line (exit 2); a reader that is not
// connected stops the start in a sentence naming the readers that are (exit 1), with nothing left running.
// `dck card` and `dck pc` check their `--reader` the same way (main/card/reader-binding.ts), in the same sentence.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENSC_PKCS11_MODULE } from '../../../native/pkcs11/index.ts';
import { startPcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';

interface Ended {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `dck <args>` to its end (at most 90 s). */
function dck(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Ended> {
  const child = spawn('node', ['bin/dck.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const NOT_CONNECTED =
  'could not start: the reader "Desk Reader 7" is not connected (readers: "Virtual PCD 00 00", "Virtual PCD 00 01")';

describe('--reader NAME (dck kiosk --browser, dck agent --browser)', () => {
  it.each([
    ['kiosk', ['kiosk', '--browser', '--no-open', '--virtual-card', 'always']],
    ['agent', ['agent', '--browser', '--demo', '--no-open']],
  ])(
    'dck %s: a reader that is not connected is named with those that are (exit 1)',
    async (command, args) => {
      const ended = await dck([...args, '--reader', 'Desk Reader 7']);
      expect(ended.code).toBe(1);
      expect(ended.output).toContain(`dck ${command}: ${NOT_CONNECTED}`);
      // Refused before the host started: no launch URL was ever printed.
      expect(ended.output).not.toMatch(/http:\/\/127\.0\.0\.1/);
    },
    120_000,
  );

  it.each([
    ['kiosk', ['kiosk', '--browser', '--no-open']],
    ['agent', ['agent', '--browser', '--demo', '--no-open']],
  ])(
    'dck %s: a name that cannot be a reader is a wrong command line (exit 2)',
    async (command, args) => {
      const ended = await dck([...args, '--reader', 'Virtual PCD 00 00\u001b[2J']);
      expect(ended.code).toBe(2);
      expect(ended.output).toContain(
        `dck ${command}: --reader: a reader name is 1 to 127 printable characters (as \`dck card list\` shows it)`,
      );
      expect(ended.output).not.toContain('\u001b');
    },
    60_000,
  );
});

describe('--reader NAME of dck card and dck pc: the same check and sentence', () => {
  let pcsc: PcscEnvironment;
  let stateDir: string;

  beforeAll(async () => {
    pcsc = await startPcscEnvironment();
    stateDir = await mkdtemp(join(tmpdir(), 'dck-reader-option-'));
  }, 60_000);

  afterAll(async () => {
    await pcsc?.stop();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });

  const notConnected = (): string =>
    `the reader "Desk Reader 7" is not connected (readers: "${pcsc.readerName}", "${pcsc.secondReaderName}")`;

  /** `dck pc` works on its own state directory: it must stay empty. */
  const withState = (args: readonly string[]): string[] =>
    args[0] === 'pc' ? [...args, '--state', stateDir] : [...args];

  it.each([
    ['card', ['card', 'info']],
    ['card', ['card', 'verify-pin', '--pkcs11', OPENSC_PKCS11_MODULE]],
    ['pc', ['pc', 'enroll', '--issuer', 'https://127.0.0.1:9', '--ca', 'missing-ca.pem']],
    ['pc', ['pc', 'renew']],
  ])(
    'dck %s: a reader that is not connected is named with those that are (exit 1), nothing touched',
    async (command, args) => {
      const ended = await dck([...withState(args), '--reader', 'Desk Reader 7'], pcsc.env);
      expect(ended.code).toBe(1);
      expect(ended.output).toContain(`dck ${command}: ${notConnected()}`);
      expect(await readdir(stateDir)).toEqual([]);
    },
    60_000,
  );

  it.each([
    ['card', ['card', 'sign', '--challenge', '00']],
    ['pc', ['pc', 'renew']],
  ])(
    'dck %s: a name that cannot be a reader is a wrong command line (exit 2)',
    async (command, args) => {
      const ended = await dck([...withState(args), '--reader', 'Virtual PCD 00 00\u001b[2J'], pcsc.env);
      expect(ended.code).toBe(2);
      expect(ended.output).toContain(
        `dck ${command}: --reader: a reader name is 1 to 127 printable characters (as \`dck card list\` shows it)`,
      );
      expect(ended.output).not.toContain('\u001b');
    },
    60_000,
  );
});
