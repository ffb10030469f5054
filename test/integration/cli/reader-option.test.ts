// `--reader NAME` of `dck kiosk --browser` and `dck agent --browser`: a kiosk and a console on one machine each read
// their own reader. A name that cannot be a reader's is a wrong command line (exit 2); a reader that is not
// connected stops the start in a sentence naming the readers that are (exit 1), with nothing left running.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

interface Ended {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `dck <args>` to its end (at most 90 s). */
function dck(args: readonly string[]): Promise<Ended> {
  const child = spawn('node', ['bin/dck.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
