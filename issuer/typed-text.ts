// Text a person types that the issuer compares, stores or audits: a person look-up, an audit filter, an agent's
// certificate subject in the tenant's roles, a lifecycle note, the tenant's display name. One rule for all of it:
// bounded, and nothing a keyboard does not type. Refused: control characters (C0, DEL, C1: \p{Cc}), format characters
// (\p{Cf}: the bidi overrides and isolates U+202A–E, U+2066–9 that reorder what a screen or a CSV cell shows, and
// zero-width characters that hide text), lone surrogates (\p{Cs}: not text, and they break UTF-8 on the way out)
// and the line and paragraph separators (U+2028/9: a second line in a one-line field).
// Text from a card or a phone that is only shown has its own, stricter rule (contracts/showable-text.ts).

const NOT_TYPED = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** True when `text` is min–max UTF-16 units long and holds only what a person types. The caller trims first. */
export function isTypedText(text: string, length: { readonly min: number; readonly max: number }): boolean {
  return text.length >= length.min && text.length <= length.max && !NOT_TYPED.test(text);
}
