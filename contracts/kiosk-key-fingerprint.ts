// A kiosk key's fingerprint, one definition for the kiosk (which shows it) and `dck admin kiosks add` (which prints
// it): SHA-256 of the SubjectPublicKeyInfo (DER), hex bytes joined by ':'. The administrator compares the two before
// registering the key.
import { createHash } from 'node:crypto';

export function kioskKeyFingerprint(publicKeyDer: Uint8Array): string {
  const hex = createHash('sha256').update(publicKeyDer).digest('hex');
  return (hex.match(/../g) ?? []).join(':');
}
