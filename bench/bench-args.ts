// The benchmarks' one command-line parser: each script declares its flags once (kind, default, least value) and
// gets them back typed. node:util parseArgs does the splitting (`--flag value` and `--flag=value`, a missing value,
// an unknown flag, a stray argument); this adds the numbers and choices, and one error naming the script and the
// flags it takes, so a mistyped flag stops the run instead of measuring the defaults.
import { parseArgs } from 'node:util';

export interface IntegerFlag {
  kind: 'integer';
  default: number;
  /** The least value taken (1 unless told). */
  least?: number;
}
/** An integer flag with no default: undefined when not given (the script decides from the other flags). */
export interface OptionalIntegerFlag {
  kind: 'optional-integer';
  least?: number;
}
export interface ChoiceFlag<C extends string = string> {
  kind: 'choice';
  choices: readonly C[];
  default: C;
}
export interface TextFlag {
  kind: 'text';
  default: string;
}
/** A text flag with no default: undefined when not given. */
export interface OptionalTextFlag {
  kind: 'optional-text';
}
/** A switch: true when given, takes no value. */
export interface SwitchFlag {
  kind: 'switch';
}

export type BenchFlag = IntegerFlag | OptionalIntegerFlag | ChoiceFlag | TextFlag | OptionalTextFlag | SwitchFlag;

type ValueOf<F extends BenchFlag> = F extends IntegerFlag
  ? number
  : F extends OptionalIntegerFlag
    ? number | undefined
    : F extends ChoiceFlag<infer C>
      ? C
      : F extends TextFlag
        ? string
        : F extends OptionalTextFlag
          ? string | undefined
          : boolean;

export type BenchArgs<S extends Record<string, BenchFlag>> = { [K in keyof S]: ValueOf<S[K]> };

/** A bad command line: the message names the script, the flag and what it takes. */
export class BenchArgsError extends Error {}

function integer(script: string, name: string, text: string, least: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < least)
    throw new BenchArgsError(`${script}: --${name} must be an integer of at least ${least} (got "${text}")`);
  return value;
}

function valueOf(script: string, name: string, flag: BenchFlag, given: string | boolean | undefined): unknown {
  if (flag.kind === 'switch') return given === true;
  const text = typeof given === 'string' ? given : undefined;
  switch (flag.kind) {
    case 'integer':
      return text === undefined ? flag.default : integer(script, name, text, flag.least ?? 1);
    case 'optional-integer':
      return text === undefined ? undefined : integer(script, name, text, flag.least ?? 1);
    case 'choice':
      if (text === undefined) return flag.default;
      if (!flag.choices.includes(text))
        throw new BenchArgsError(`${script}: --${name} must be one of ${flag.choices.join(', ')} (got "${text}")`);
      return text;
    case 'text':
      return text ?? flag.default;
    case 'optional-text':
      return text;
  }
}

/**
 * The flags of `args` (default: this process's) as `spec` declares them. Throws BenchArgsError for an unknown flag,
 * a missing value, a stray argument, a number that is not an integer or below its least, a choice not offered.
 */
export function parseBenchArgs<const S extends Record<string, BenchFlag>>(
  script: string,
  spec: S,
  args: readonly string[] = process.argv.slice(2),
): BenchArgs<S> {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, flag]) => [name, { type: flag.kind === 'switch' ? 'boolean' : 'string' }]),
  ) as Record<string, { type: 'boolean' | 'string' }>;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }));
  } catch (error: unknown) {
    const flags = Object.keys(spec)
      .map((name) => `--${name}`)
      .join(' ');
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new BenchArgsError(`${script}: ${reason} (it takes: ${flags})`);
  }
  return Object.fromEntries(
    Object.entries(spec).map(([name, flag]) => [name, valueOf(script, name, flag, values[name])]),
  ) as BenchArgs<S>;
}

/** parseBenchArgs for a script's top level: a bad command line prints its one-line message and exits with status 2. */
export function benchArgs<const S extends Record<string, BenchFlag>>(script: string, spec: S): BenchArgs<S> {
  try {
    return parseBenchArgs(script, spec);
  } catch (error: unknown) {
    if (!(error instanceof BenchArgsError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}
