// A FAKE card port and card, scripted by the test (no PC/SC, no card): for the paths a real virtual card cannot be
// timed into, such as a card pulled while VERIFY runs. The real card port and virtual card are tested in
// test/integration/main/pcsc-card-port.test.ts and the e2e tests. It keeps every PIN buffer it was handed, so a test
// can check that the caller zero-filled it afterwards.
import type {
  CardIdentityOutcome,
  CardReaderEvent,
  CardRemovedOutcome,
  CardSignOutcome,
  KioskCardPort,
  KioskCardSession,
} from '../../../../main/card/card-port.ts';
import type { PinOutcome } from '../../../../main/session/state.ts';

export const READER = 'Virtual PIV 0';
export const RIGHT_PIN = '123456';
export const CERTIFICATE = Uint8Array.of(0x30, 0x00);

/** How the card answers VERIFY: by its PIN and tries (the default), or as scripted. */
export type VerifyScript =
  | 'by-pin'
  | 'card-error'
  /** The card is taken out while VERIFY runs: the reader reports it, then the card layer answers card-removed. */
  | 'pulled-mid-verify'
  /** The card layer throws (it should not, but a PIN must be wiped even then). */
  | 'throws';

export class ScriptedCard implements KioskCardSession {
  triesLeft = 3;
  verify: VerifyScript = 'by-pin';
  readonly pinsSeen: Uint8Array[] = [];
  closes = 0;
  /** Called while VERIFY runs (the reader uses it to report a pull). */
  onVerifying: () => void = () => undefined;

  readIdentity(): Promise<CardIdentityOutcome> {
    return Promise.resolve({
      kind: 'ok',
      holderName: 'Hal Helpdesk',
      triesLeft: this.triesLeft,
      certificateDer: CERTIFICATE,
    });
  }

  async verifyPin(pin: Uint8Array): Promise<PinOutcome | CardRemovedOutcome> {
    this.pinsSeen.push(pin); // the reference, not a copy: the test checks the caller wiped it
    const typed = Buffer.from(pin).toString('ascii');
    await new Promise((resolve) => setImmediate(resolve));
    switch (this.verify) {
      case 'card-error':
        return { kind: 'card-error' };
      case 'pulled-mid-verify':
        this.onVerifying();
        return { kind: 'card-removed' };
      case 'throws':
        throw new Error('SCardTransmit failed');
      case 'by-pin':
        break;
    }
    if (typed === RIGHT_PIN) return { kind: 'ok' };
    this.triesLeft -= 1;
    return this.triesLeft === 0 ? { kind: 'blocked' } : { kind: 'wrong', triesLeft: this.triesLeft };
  }

  signChallenge(): Promise<CardSignOutcome> {
    return Promise.resolve({ kind: 'ok', signature: Uint8Array.of(1, 2, 3), kioskNonce: new Uint8Array(32) });
  }

  close(): Promise<void> {
    this.closes += 1;
    return Promise.resolve();
  }
}

export class ScriptedReader implements KioskCardPort {
  readonly card = new ScriptedCard();
  stopped = false;
  /** A card already in the reader: reported while subscribe() runs, as a port may. */
  cardAtStart = false;
  #listener: ((event: CardReaderEvent) => void) | null = null;

  constructor() {
    this.card.onVerifying = () => this.remove();
  }

  subscribe(listener: (event: CardReaderEvent) => void): () => void {
    this.#listener = listener;
    listener({ type: 'readers', readers: 'ready' });
    if (this.cardAtStart) listener({ type: 'inserted', reader: READER });
    return () => {
      this.#listener = null;
    };
  }

  open(): Promise<KioskCardSession | null> {
    return Promise.resolve(this.card);
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  insert(): void {
    this.#listener?.({ type: 'inserted', reader: READER });
  }

  remove(): void {
    this.#listener?.({ type: 'removed', reader: READER });
  }
}

/** A PIN as the page sends it: ASCII digits in a buffer main wipes. */
export const pinBytes = (digits: string): Uint8Array => Uint8Array.from(digits, (c) => c.charCodeAt(0));

export const wiped = (pin: Uint8Array): boolean => pin.every((byte) => byte === 0);
