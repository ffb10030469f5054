/**
 * Verifying a PIN without locking the card by accident: use the PIN the discovery object names
 * as primary, read the retry counter first, and refuse to spend the last try unless asked to.
 */
import type { PinReferenceName } from '../contracts/card.ts';
import { isPivError } from './errors.ts';
import { assertPinFormat } from './piv-card.ts';
import type { PivCard } from './piv-card.ts';

export type PinVerifyOutcome =
  | { readonly outcome: 'correct'; readonly reference: PinReferenceName }
  | { readonly outcome: 'wrong'; readonly reference: PinReferenceName; readonly triesLeft: number }
  | { readonly outcome: 'blocked'; readonly reference: PinReferenceName }
  | { readonly outcome: 'last-try-refused'; readonly reference: PinReferenceName };

export interface VerifyPinOptions {
  /** Send the PIN even when only one try is left (a wrong PIN then blocks the card). */
  readonly allowLastTry?: boolean;
  /** Use this PIN instead of asking the discovery object which one is primary. */
  readonly reference?: PinReferenceName;
}

/** The primary PIN per the discovery object; a card without one uses the application PIN. */
export async function choosePinReference(card: PivCard): Promise<PinReferenceName> {
  try {
    return (await card.readDiscovery()).primaryPin;
  } catch (error) {
    if (isPivError(error, 'not-found')) return 'application';
    throw error;
  }
}

async function verifyOwnedPin(card: PivCard, pin: Uint8Array, options: VerifyPinOptions): Promise<PinVerifyOutcome> {
  assertPinFormat(pin); // before any APDU: a malformed PIN must not even select the card
  const reference = options.reference ?? (await choosePinReference(card));
  const status = await card.pinStatus(reference);
  if (status === 'blocked') return { outcome: 'blocked', reference };
  // 'verified' means a previous VERIFY succeeded, which reset the counter: sending is safe.
  if (typeof status === 'number' && status <= 1 && options.allowLastTry !== true) {
    return { outcome: 'last-try-refused', reference };
  }
  try {
    await card.verifyPin(pin, reference);
    return { outcome: 'correct', reference };
  } catch (error) {
    if (isPivError(error, 'wrong-pin')) return { outcome: 'wrong', reference, triesLeft: error.triesLeft ?? 0 };
    if (isPivError(error, 'pin-blocked')) return { outcome: 'blocked', reference };
    throw error;
  }
}

/**
 * Verifies `pin` (ASCII digits) safely. TAKES OWNERSHIP of `pin`: it is zero-filled before this
 * resolves or rejects, whatever happens. Rejects with 'pin-format' (nothing sent) or card and
 * transport errors; wrong, blocked and refused PINs are outcomes, not errors.
 */
export async function verifyPinSafely(
  card: PivCard,
  pin: Uint8Array,
  options: VerifyPinOptions = {},
): Promise<PinVerifyOutcome> {
  try {
    return await verifyOwnedPin(card, pin, options);
  } finally {
    pin.fill(0);
  }
}
