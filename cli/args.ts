// The one command-line argument reader for every `dck` command. Options are declared once per command (name →
// flag or value); the reader accepts `--name value` and `--name=value`, refuses unknown options, positional words,
// repeated options, flags with values, values that are missing, empty, look like an option, or are too long, and
// says which in a UsageError (commands print it with their usage and exit 2). Input echoed in messages is made
// printable first: arguments can come from anywhere.
import { checkReaderName, ReaderChoiceError } from '../main/card/reader-binding.ts';

/** A wrong command line: the message is for the user; the command exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = Readonly<Record<`--${string}`, 'flag' | 'value'>>;

export type ParsedArgs<S extends OptionSpec> = {
  readonly [K in keyof S]?: S[K] extends 'flag' ? true : string;
};

/** The longest value accepted by default (paths, URLs). */
export const MAX_ARGUMENT_CHARS = 4096;

/** Echoes user input without control characters or unbounded length. */
export function printable(text: string, max = 60): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}

/** Reads `args` against `spec`; `command` names the command in messages, e.g. 'dck card info'. */
export function parseArgs<const S extends OptionSpec>(
  args: readonly string[],
  spec: S,
  command: string,
): ParsedArgs<S> {
  const parsed: Record<string, true | string> = {};
  for (let index = 0; index < args.length; index += 1) {
    const argument = args[index] ?? '';
    const equals = argument.startsWith('--') ? argument.indexOf('=') : -1;
    const name = equals === -1 ? argument : argument.slice(0, equals);
    const inline = equals === -1 ? undefined : argument.slice(equals + 1);
    const kind: 'flag' | 'value' | undefined = Object.prototype.hasOwnProperty.call(spec, name)
      ? spec[name as `--${string}`]
      : undefined;
    if (kind === undefined) {
      throw new UsageError(
        name.startsWith('-')
          ? `"${printable(name)}" is not an option of ${command}`
          : `unexpected "${printable(name)}" (${command} takes only options)`,
      );
    }
    if (Object.prototype.hasOwnProperty.call(parsed, name)) throw new UsageError(`${name} is given twice`);
    if (kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      parsed[name] = true;
      continue;
    }
    const value = inline ?? args[++index];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
      throw new UsageError(`${name} needs a value`);
    if (value.length > MAX_ARGUMENT_CHARS) throw new UsageError(`the value of ${name} is too long`);
    parsed[name] = value;
  }
  return parsed as ParsedArgs<S>;
}

/** A whole number from `min` to `max` (decimal digits only: no signs, exponents, hex or spaces). */
export function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^[0-9]{1,9}$/.test(value) || parsed < min || parsed > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
  return parsed;
}

/** `--reader NAME`: a card reader's exact PC/SC name (checked as main/card/reader-binding.ts checks it). */
export function readerOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return checkReaderName(value);
  } catch (error) {
    if (error instanceof ReaderChoiceError) throw new UsageError(`--reader: ${error.message}`);
    throw error;
  }
}
