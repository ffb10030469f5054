// Text that comes from outside the kiosk's own code (what a phone reports about itself, a tenant's configured
// texts) and ends up on a kiosk screen or in the audit. Only letters, marks, digits, punctuation, symbols and plain
// spaces: this refuses control characters (C0, C1), format characters (every bidi control: U+200E/F, U+202A–E,
// U+2066–9, which could reorder what the screen shows, and zero-width characters that hide text), line and
// paragraph separators, unusual spaces, private-use and unassigned code points and lone surrogates.
// One home for the rule: the issuer checks phone reports with it, the kiosk configuration schema uses the pattern.

/** As a JSON-schema `pattern` (TypeBox and Ajv compile it with the `u` flag). */
export const SHOWABLE_TEXT_PATTERN = '^[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S} ]+$';

export const SHOWABLE_TEXT = new RegExp(SHOWABLE_TEXT_PATTERN, 'u');
