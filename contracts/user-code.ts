// The RFC 8628 user_code: its alphabet, length, canonical form and display form. No schema library here, so the
// renderer (the kiosk's typing field), main and the issuer all import this one file.

/** user_code alphabet: consonants only (no vowels → no words; no look-alikes such as 0/O, 1/I). RFC 8628 §6.1. */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
/** Typed text longer than this is refused before it is looked at. */
const MAX_TYPED_LENGTH = 32;

/**
 * Canonical form of a typed user_code: upper case, dash and spaces removed. Returns null when it cannot be
 * a user_code at all (wrong length or characters), so callers can refuse it before any lookup.
 */
export function normalizeUserCode(typed: string): string | null {
  if (typed.length > MAX_TYPED_LENGTH) return null;
  const compact = typed.replace(/[\s-]/g, '').toUpperCase();
  if (compact.length !== USER_CODE_LENGTH) return null;
  for (const char of compact) if (!USER_CODE_ALPHABET.includes(char)) return null;
  return compact;
}

/** How a user_code is shown: XXXX-XXXX. */
export function formatUserCode(canonical: string): string {
  return `${canonical.slice(0, 4)}-${canonical.slice(4)}`;
}
