// The one argument reader every dck command uses: what it accepts, and a clear refusal for everything else.
import { describe, expect, it } from 'vitest';
import { integerOption, parseArgs, printable, UsageError } from '../../../cli/args.ts';

const spec = { '--reader': 'value', '--json': 'flag', '--port': 'value' } as const;
const parse = (args: string[]) => parseArgs(args, spec, 'dck test');

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('parseArgs', () => {
  it('reads flags and values, separate or with =', () => {
    expect(parse(['--reader', 'Yubico YubiKey 00 00', '--json'])).toEqual({
      '--reader': 'Yubico YubiKey 00 00',
      '--json': true,
    });
    expect(parse(['--reader=A=B'])).toEqual({ '--reader': 'A=B' });
    expect(parse([])).toEqual({});
  });

  it.each([
    [['--pin', '123456'], '"--pin" is not an option of dck test'],
    [['reader'], 'unexpected "reader" (dck test takes only options)'],
    [['--json', '--json'], '--json is given twice'],
    [['--reader', 'a', '--reader=b'], '--reader is given twice'],
    [['--json=yes'], '--json takes no value'],
    [['--reader'], '--reader needs a value'],
    [['--reader', '--json'], '--reader needs a value'],
    [['--reader='], '--reader needs a value'],
    [['--reader', 'x'.repeat(5000)], 'the value of --reader is too long'],
    [['--\u001b[31mred'], '"--?[31mred" is not an option of dck test'],
    [['__proto__'], 'unexpected "__proto__" (dck test takes only options)'],
  ])('refuses %j', (args, message) => {
    expect(refusal(() => parse(args))).toBe(message);
  });
});

describe('integerOption', () => {
  it('takes decimal whole numbers in range only', () => {
    expect(integerOption('8443', '--port', 0, 65535)).toBe(8443);
    expect(integerOption(undefined, '--port', 0, 65535)).toBeUndefined();
    for (const bad of ['65536', '-1', '1e3', '0x10', ' 1', '1.5', '']) {
      expect(refusal(() => integerOption(bad, '--port', 0, 65535))).toBe(
        '--port must be a whole number from 0 to 65535',
      );
    }
  });
});

describe('printable', () => {
  it('replaces control characters and bounds the length', () => {
    expect(printable('a\u0000b\nc')).toBe('a?b?c');
    expect(printable('x'.repeat(100))).toHaveLength(60);
  });
});
