// What the kiosk session needs from a card reader, and nothing more. The adapter in pcsc-card-port.ts implements
// it over native/pcsc + the PIV card edge; tests implement it with scripted doubles. Outcomes are data: the
// controller never has to interpret a thrown exception from the card layer.
import type { CardRefusedReason } from '../../contracts/kiosk-api.ts';
import type { PinOutcome, ReadersStatus } from '../session/state.ts';

export type CardReaderEvent =
  | { readonly type: 'readers'; readonly readers: ReadersStatus }
  | { readonly type: 'inserted'; readonly reader: string }
  | { readonly type: 'removed'; readonly reader: string };

/**
 * The card was pulled while a command ran (the card layer checked with the reader that it is gone). The
 * controller ends the session as a removal at once, instead of showing an error screen until the reader's own
 * removal event arrives.
 */
export interface CardRemovedOutcome {
  readonly kind: 'card-removed';
}

export type CardIdentityOutcome =
  | {
      readonly kind: 'ok';
      /** Common name of the PIV Authentication certificate's subject ('' when absent). */
      readonly holderName: string;
      readonly triesLeft: number | null;
      /** The PIV Authentication certificate (DER), sent to the issuer with the signed challenge. */
      readonly certificateDer: Uint8Array;
    }
  | { readonly kind: 'refused'; readonly reason: CardRefusedReason }
  | CardRemovedOutcome;

export type CardSignOutcome =
  /** The signature over pkiAuthMessage(challenge, kioskNonce) (contracts/pki-auth-message.ts). */
  | { readonly kind: 'ok'; readonly signature: Uint8Array; readonly kioskNonce: Uint8Array }
  /** The card wants the PIN again (security status not satisfied). */
  | { readonly kind: 'pin-needed' }
  | { readonly kind: 'card-error' }
  | CardRemovedOutcome;

/** One connection to one inserted card, for one kiosk session. */
export interface KioskCardSession {
  /** CHUID + PIV Authentication certificate + PIN tries; no PIN needed. */
  readIdentity(): Promise<CardIdentityOutcome>;
  /** `pin`: ASCII digits. The caller zero-fills it after the promise settles; implementations must not keep it. */
  verifyPin(pin: Uint8Array): Promise<PinOutcome | CardRemovedOutcome>;
  /** PKI-AUTH with the PIV Authentication key (9A) over the issuer's challenge and a fresh kiosk nonce. */
  signChallenge(challenge: Uint8Array): Promise<CardSignOutcome>;
  /** Releases the card and resets it, so a verified PIN does not outlive the session. Idempotent. */
  close(): Promise<void>;
}

export interface KioskCardPort {
  /** Reader and card presence events; cards already present are reported after subscribing. */
  subscribe(listener: (event: CardReaderEvent) => void): () => void;
  /** Connects to the card in `reader`; resolves to null when it cannot (card gone, service down). */
  open(reader: string): Promise<KioskCardSession | null>;
  stop(): Promise<void>;
}

/** The demo virtual card the welcome screen can offer (dev/browser host). */
export interface VirtualCardPort {
  readonly inserted: boolean;
  insert(): Promise<void>;
  remove(): Promise<void>;
}
