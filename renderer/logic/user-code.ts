// Live formatting of the code a phone shows (RFC 8628 user_code) as the person types it.
// The issuer's alphabet is consonants only; anything else typed is dropped on the spot, so the field can
// never hold a character the issuer would refuse. The alphabet is the issuer's own (contracts/user-code.ts, a
// file without the schema library, so the kiosk bundle stays small).
import { USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../../contracts/user-code.ts';

const GROUP_LENGTH = 4;
/** Longer pastes are cut before any work is done on them. */
const MAX_INPUT_LENGTH = 64;

export interface UserCodeInput {
  /** Canonical characters typed so far (upper case, alphabet only, at most 8). */
  readonly compact: string;
  /** What the field shows: `XXXX-XXXX`, with the dash inserted as soon as the fifth character arrives. */
  readonly display: string;
  /** True when something typed was not a code character (and was dropped). */
  readonly rejectedCharacters: boolean;
  readonly complete: boolean;
}

/** Turns whatever is in the field (typed, pasted, lower case, with or without the dash) into a user code. */
export function parseUserCodeInput(raw: string): UserCodeInput {
  const limited = raw.slice(0, MAX_INPUT_LENGTH).toUpperCase();
  let compact = '';
  let rejectedCharacters = false;
  for (const char of limited) {
    if (char === '-' || char === ' ') continue;
    if (!USER_CODE_ALPHABET.includes(char)) {
      rejectedCharacters = true;
      continue;
    }
    if (compact.length < USER_CODE_LENGTH) compact += char;
  }
  return {
    compact,
    display: formatUserCodeDisplay(compact),
    rejectedCharacters,
    complete: compact.length === USER_CODE_LENGTH,
  };
}

export function formatUserCodeDisplay(compact: string): string {
  if (compact.length <= GROUP_LENGTH) return compact;
  return `${compact.slice(0, GROUP_LENGTH)}-${compact.slice(GROUP_LENGTH, USER_CODE_LENGTH)}`;
}

/** Adds one on-screen key press; returns the compact code unchanged when full or when the key is not valid. */
export function appendUserCodeCharacter(compact: string, char: string): string {
  const upper = char.toUpperCase();
  if (upper.length !== 1 || !USER_CODE_ALPHABET.includes(upper)) return compact;
  if (compact.length >= USER_CODE_LENGTH) return compact;
  return compact + upper;
}
