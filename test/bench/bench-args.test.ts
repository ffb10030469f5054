// The benchmarks' command-line parser (bench/bench-args.ts): defaults when a flag is absent, values typed as
// declared, and a clear error naming the script and flag for an unknown flag, a missing value, a bad number or a
// choice not offered — a typo must stop the run, not measure the defaults.
import { describe, expect, it } from 'vitest';
import { BenchArgsError, parseBenchArgs } from '../../bench/bench-args.ts';

const SPEC = {
  rows: { kind: 'integer', default: 20_000 },
  'warm-up': { kind: 'integer', default: 1500, least: 0 },
  rounds: { kind: 'optional-integer' },
  storage: { kind: 'choice', choices: ['sqlite', 'postgres'] as const, default: 'sqlite' },
  path: { kind: 'text', default: 'here' },
  measure: { kind: 'optional-text' },
  list: { kind: 'switch' },
} as const;

const parse = (...args: string[]) => parseBenchArgs('bench/x.ts', SPEC, args);

describe('parseBenchArgs', () => {
  it('gives the defaults when no flag is given', () => {
    expect(parse()).toEqual({
      rows: 20_000,
      'warm-up': 1500,
      rounds: undefined,
      storage: 'sqlite',
      path: 'here',
      measure: undefined,
      list: false,
    });
  });

  it('takes `--flag value` and `--flag=value`, typed', () => {
    expect(
      parse('--rows', '5', '--warm-up=0', '--rounds', '2', '--storage', 'postgres', '--path=/tmp/a', '--list'),
    ).toMatchObject({ rows: 5, 'warm-up': 0, rounds: 2, storage: 'postgres', path: '/tmp/a', list: true });
  });

  it.each([
    [['--row', '5'], /bench\/x\.ts: Unknown option '--row'.*it takes: --rows --warm-up/],
    [['--rows'], /bench\/x\.ts: Option '--rows <value>' argument missing/],
    [['--rows', '5', 'extra'], /bench\/x\.ts: Unexpected argument 'extra'/],
    [['--rows', 'many'], /bench\/x\.ts: --rows must be an integer of at least 1 \(got "many"\)/],
    [['--rows', '2.5'], /--rows must be an integer of at least 1 \(got "2\.5"\)/],
    [['--rows', '0'], /--rows must be an integer of at least 1 \(got "0"\)/],
    [['--rows='], /--rows must be an integer of at least 1 \(got ""\)/],
    [['--warm-up=-1'], /--warm-up must be an integer of at least 0 \(got "-1"\)/],
    [['--storage', 'mysql'], /--storage must be one of sqlite, postgres \(got "mysql"\)/],
  ])('refuses %j with a clear error', (args, message) => {
    expect(() => parse(...args)).toThrow(BenchArgsError);
    expect(() => parse(...args)).toThrow(message);
  });
});
