// The short fingerprint of a phone's public key that a help-desk agent affirms under supervised issuance (tenant
// setting `supervision: agent-affirms`; DISA Purebred's agent affirms a hash of the device's key): the first 8 bytes
// of SHA-256 over the key's SubjectPublicKeyInfo (DER), as four groups of four upper-case hex digits. The issuer,
// the phone and the kiosk show the same text. No hashing here (the renderer hashes with WebCrypto, Node with
// node:crypto), so every side can import it.
export const KEY_FINGERPRINT_BYTES = 8;

/** How soon a phone waiting for the agent asks again (the issuer's Retry-After on `affirmation-pending`). */
export const AFFIRMATION_POLL_SECONDS = 3;

/** What an agent may type: the groups with or without dashes, any case (normalizeKeyFingerprint makes it canonical). */
export const KEY_FINGERPRINT_INPUT_PATTERN = '^[0-9A-Fa-f]{4}(-?[0-9A-Fa-f]{4}){3}$';

/** The canonical form every side shows and the issuer's status answer carries (what formatKeyFingerprint writes). */
export const KEY_FINGERPRINT_PATTERN = '^[0-9A-F]{4}(-[0-9A-F]{4}){3}$';

/** SHA-256(SPKI DER) → `A1B2-C3D4-E5F6-0718`. */
export function formatKeyFingerprint(sha256OfSpki: Uint8Array): string {
  const hex = Array.from(sha256OfSpki.subarray(0, KEY_FINGERPRINT_BYTES), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
  return hex.toUpperCase().replace(/(.{4})(?=.)/g, '$1-');
}

/** A fingerprint as typed → the canonical form, or null when it is not one. */
export function normalizeKeyFingerprint(text: string): string | null {
  if (!new RegExp(KEY_FINGERPRINT_INPUT_PATTERN).test(text)) return null;
  return text
    .replace(/-/g, '')
    .toUpperCase()
    .replace(/(.{4})(?=.)/g, '$1-');
}
