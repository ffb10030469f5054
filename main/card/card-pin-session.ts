// The one card an app's main side holds for a card sign-in, and its PIN: the agent console (console/) and "Set up
// this PC" (this-pc/) both watch the card port for cards in and out, hold the one card a run uses, read its identity
// (no PIN), verify its PIN (zero-filled on every path before the answer comes back) and close the card once the
// sign-in is done, so a verified PIN does not outlive it. What each outcome shows is the app's: this module has no
// screens. (The kiosk's own session runs its card through its reducer instead: session/controller.ts.)
//
// "Superseded": the card this call began with is no longer held (taken out, let go, or another run took it) by the
// time the card answered; the caller shows nothing, as the card's removal has already been dealt with.
import type { CardRefusedReason } from '../../contracts/kiosk-api.ts';
import type { PinOutcome } from '../session/state.ts';
import type { CardReaderEvent, CardRemovedOutcome, KioskCardPort, KioskCardSession } from './card-port.ts';

export interface SupersededOutcome {
  readonly kind: 'superseded';
}

/** The card held for a run: its reader, and once read, its connection and PIV Authentication certificate. */
export interface HeldCard {
  readonly reader: string;
  /** Null before the card is opened and once it is closed. */
  readonly session: KioskCardSession | null;
  /** The PIV Authentication certificate (DER) once the identity was read; sent with the signed challenge. */
  readonly certificateDer: Uint8Array | null;
  readonly holderName: string;
}

export type CardReading =
  | { readonly kind: 'ok'; readonly holderName: string; readonly triesLeft: number | null }
  /** The card port could not connect to the card (gone already, card service down). */
  | { readonly kind: 'unreadable' }
  /** The card cannot sign in (its connection is closed already). */
  | { readonly kind: 'refused'; readonly reason: CardRefusedReason }
  | CardRemovedOutcome
  | SupersededOutcome;

export type PinVerdict = PinOutcome | CardRemovedOutcome | SupersededOutcome | { readonly kind: 'no-card' };

export interface CardPinEvents {
  /** A card went into `reader` (cards already in are reported right after the watch starts). */
  readonly inserted: (reader: string) => void;
  /** The held card left its reader. It stays held (a command may still be running on it): the app lets it go. */
  readonly heldCardRemoved: (reader: string) => void;
}

export interface CardPinSession {
  /** The readers that hold a card now (a run may take one that is in already). */
  readonly readersWithCard: ReadonlySet<string>;
  /** The card this run holds, or null. */
  held(): HeldCard | null;
  /** Whether `card` is still the one held (false once it was let go or replaced). */
  isHeld(card: HeldCard): boolean;
  /** Holds the card in `reader` for this run (letting any other go) and reads its identity: no PIN. */
  take(reader: string): Promise<CardReading>;
  /**
   * VERIFY with the held card. `pin` (ASCII digits) is zero-filled before this settles, on every path: sent or not,
   * right, wrong, blocked, card pulled mid-verify, card error or a throw.
   */
  verifyPin(pin: Uint8Array): Promise<PinVerdict>;
  /** Closes (resets) the held card's connection, keeping it held: its removal is still reported. Idempotent. */
  closeCard(): Promise<void>;
  /** Lets the held card go: closes it, and its removal is no longer reported. Idempotent. */
  release(): Promise<void>;
  /** Stops reporting cards in and out (the app's own clean-up may still run). */
  stopWatching(): void;
  /** Stops watching, lets the card go and stops the card port (its PC/SC watcher would keep the process alive). */
  stop(): Promise<void>;
}

/** A held card's fields this module may change; callers see them read-only. */
interface HeldCardState {
  readonly reader: string;
  session: KioskCardSession | null;
  certificateDer: Uint8Array | null;
  holderName: string;
}

export function watchCardPin(port: KioskCardPort, events: CardPinEvents): CardPinSession {
  const readersWithCard = new Set<string>();
  let current: HeldCardState | null = null;

  const closeCard = async (): Promise<void> => {
    const session = current?.session ?? null;
    if (current !== null) current.session = null;
    await session?.close();
  };

  const release = async (): Promise<void> => {
    const session = current?.session ?? null;
    current = null;
    await session?.close();
  };

  const onReaderEvent = (event: CardReaderEvent): void => {
    if (event.type === 'inserted') {
      readersWithCard.add(event.reader);
      events.inserted(event.reader);
    }
    if (event.type === 'removed') {
      readersWithCard.delete(event.reader);
      if (current?.reader === event.reader) events.heldCardRemoved(event.reader);
    }
  };
  // A port may report the cards already in while subscribe() runs (card-port.ts): those are told once this function
  // has returned, so the app's handlers can already use the session it returns.
  let subscribing = true;
  const unsubscribe = port.subscribe((event) => {
    if (subscribing) queueMicrotask(() => onReaderEvent(event));
    else onReaderEvent(event);
  });
  subscribing = false;

  const take = async (reader: string): Promise<CardReading> => {
    if (current !== null) void release();
    const card: HeldCardState = { reader, session: null, certificateDer: null, holderName: '' };
    current = card;
    const session = await port.open(reader);
    if (current !== card) {
      await session?.close();
      return { kind: 'superseded' };
    }
    if (session === null) return { kind: 'unreadable' };
    card.session = session;
    const identity = await session.readIdentity();
    if (current !== card) return { kind: 'superseded' };
    if (identity.kind === 'card-removed') return identity;
    if (identity.kind === 'refused') {
      await closeCard();
      return identity;
    }
    card.certificateDer = identity.certificateDer;
    card.holderName = identity.holderName;
    return { kind: 'ok', holderName: identity.holderName, triesLeft: identity.triesLeft };
  };

  const verifyPin = async (pin: Uint8Array): Promise<PinVerdict> => {
    const card = current;
    const session = card?.session ?? null;
    if (card === null || session === null) {
      pin.fill(0);
      return { kind: 'no-card' };
    }
    let outcome: PinOutcome | CardRemovedOutcome;
    try {
      outcome = await session.verifyPin(pin);
    } finally {
      pin.fill(0);
    }
    return current === card ? outcome : { kind: 'superseded' };
  };

  return {
    readersWithCard,
    held: () => current,
    isHeld: (card) => current === card,
    take,
    verifyPin,
    closeCard,
    release,
    stopWatching: unsubscribe,
    stop: async () => {
      unsubscribe();
      await release();
      await port.stop();
    },
  };
}
