// What `dck` prints from outside (a card's labels and certificate names, reader and token names, an issuer's
// display name, user code and error messages) goes through here, so a hostile card or issuer cannot drive the
// terminal: no ESC/CSI/OSC sequences (screen clear, window title, hidden text, hyperlinks), no C1 controls (a
// terminal may read U+009B as CSI), no bidi overrides or isolates (text that reads differently than it is), no
// invisible format characters, no line or paragraph separators. Each is shown as U+FFFD so the reader sees that
// something was there. Line breaks are ours to make: callers print line by line.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Cn}]/gu;
/** The same set minus the line feed, which JSON.stringify emits only as indentation (inside strings it is \n). */
const UNSAFE_IN_JSON = /(?!\n)[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Cn}]/gu;
const REPLACEMENT = '\uFFFD';

/** `text` with every character a terminal could act on replaced by U+FFFD. Keeps `\n` only when `multiline`. */
export function terminalSafe(text: string, options: { multiline?: boolean } = {}): string {
  if (options.multiline === true)
    return text
      .split('\n')
      .map((line) => line.replace(UNSAFE, REPLACEMENT))
      .join('\n');
  return text.replace(UNSAFE, REPLACEMENT);
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls but prints C1 controls, bidi and format characters raw;
 * these become \uXXXX escapes, so the value a program parses is unchanged and the terminal sees plain ASCII.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  const escape = (character: string): string =>
    Array.from(
      { length: character.length },
      (_, index) => `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`,
    ).join('');
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, escape);
}
