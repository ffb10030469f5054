// The kiosk's card port over the real stack: native/pcsc (reader and card events, APDUs) + the PIV card edge
// (piv/). A thin adapter: it only translates events and maps card-edge results and errors to the session's
// outcomes. The PIN passes straight through to verifyPinSafely, which zero-fills it.
import type { SmartCardService } from '../../native/pcsc/index.ts';
import {
  choosePinReference,
  isPivError,
  keyAlgorithmOf,
  PivCard,
  signPkiAuthChallenge,
  summarizeCertificate,
  verifyPinSafely,
} from '../../piv/index.ts';
import type { KeyAlgorithm } from '../../piv/index.ts';
import type { PinReferenceName } from '../../contracts/card.ts';
import type { CardRefusedReason } from '../../contracts/kiosk-api.ts';
import type { PinOutcome } from '../session/state.ts';
import type {
  CardIdentityOutcome,
  CardReaderEvent,
  CardRemovedOutcome,
  CardSignOutcome,
  KioskCardPort,
  KioskCardSession,
} from './card-port.ts';

export interface PcscCardPortOptions {
  readonly now?: () => Date;
  /**
   * Overall time for each card command (piv/transport.ts; default DEFAULT_COMMAND_DEADLINE_MS). A card that misses
   * it is 'unreadable' ("this card cannot be read"), whatever it was doing: reading, PIN or signing.
   */
  readonly commandDeadlineMs?: number;
  readonly log?: (event: string, fields?: Readonly<Record<string, string>>) => void;
  /** Readers this kiosk uses (its configuration's `readers`); others are ignored as if absent. Default: all. */
  readonly useReader?: (reader: string) => boolean;
}

const errorCode = (error: unknown): string =>
  isPivError(error)
    ? error.code
    : error instanceof Error
      ? (((error as { code?: unknown }).code as string | undefined) ?? error.name)
      : 'unknown';

/** The card edge says the card was pulled mid-command (pcscd confirmed it is gone): not a card fault. */
const REMOVED: CardRemovedOutcome = { kind: 'card-removed' };
const wasRemoved = (error: unknown): boolean => isPivError(error, 'card-removed');

/** Why a card cannot be used, from what failed while reading it without a PIN. */
function refusalFor(error: unknown): CardRefusedReason {
  // No PIV application, or no PIV Authentication certificate: not a card this kiosk can use.
  if (
    isPivError(error, 'not-found') ||
    isPivError(error, 'malformed-certificate') ||
    isPivError(error, 'malformed-object')
  )
    return 'not-piv';
  return 'unreadable';
}

class PcscKioskCard implements KioskCardSession {
  readonly #card: PivCard;
  readonly #disconnect: () => Promise<void>;
  readonly #options: PcscCardPortOptions;
  #reference: PinReferenceName | null = null;
  /** The 9A key's algorithm, learnt from its certificate at insertion (so signing needs no second read). */
  #algorithm: KeyAlgorithm | null = null;
  #closed = false;

  constructor(card: PivCard, disconnect: () => Promise<void>, options: PcscCardPortOptions) {
    this.#card = card;
    this.#disconnect = disconnect;
    this.#options = options;
  }

  async readIdentity(): Promise<CardIdentityOutcome> {
    try {
      await this.#card.select();
      const { der } = await this.#card.readCertificate('9A');
      const certificate = summarizeCertificate(der);
      const now = (this.#options.now ?? (() => new Date()))();
      if (Date.parse(certificate.notAfter) < now.getTime() || Date.parse(certificate.notBefore) > now.getTime()) {
        return { kind: 'refused', reason: 'certificate-expired' };
      }
      this.#algorithm = keyAlgorithmOf(certificate);
      this.#reference = await choosePinReference(this.#card);
      const tries = await this.#card.pinStatus(this.#reference);
      if (tries === 'blocked') return { kind: 'refused', reason: 'pin-blocked' };
      return {
        kind: 'ok',
        holderName: certificate.commonName ?? '',
        triesLeft: typeof tries === 'number' ? tries : null,
        certificateDer: der,
      };
    } catch (error: unknown) {
      this.#options.log?.('card-read-failed', { code: errorCode(error) });
      return wasRemoved(error) ? REMOVED : { kind: 'refused', reason: refusalFor(error) };
    }
  }

  async verifyPin(pin: Uint8Array): Promise<PinOutcome | CardRemovedOutcome> {
    try {
      // The session already asked the person to confirm a last try, so the card edge may send it.
      const result = await verifyPinSafely(this.#card, pin, {
        allowLastTry: true,
        ...(this.#reference ? { reference: this.#reference } : {}),
      });
      switch (result.outcome) {
        case 'correct':
          return { kind: 'ok' };
        case 'wrong':
          return result.triesLeft === 0 ? { kind: 'blocked' } : { kind: 'wrong', triesLeft: result.triesLeft };
        case 'blocked':
          return { kind: 'blocked' };
        case 'last-try-refused':
          return { kind: 'wrong', triesLeft: 1 };
        default: {
          const unexpected: never = result;
          return unexpected;
        }
      }
    } catch (error: unknown) {
      this.#options.log?.('pin-verify-failed', { code: errorCode(error) });
      return wasRemoved(error) ? REMOVED : { kind: 'card-error' };
    }
  }

  async signChallenge(challenge: Uint8Array): Promise<CardSignOutcome> {
    if (this.#algorithm === null) return { kind: 'card-error' };
    try {
      // The issuer verifies the signature against the certificate we send; no need to re-read it here.
      return { kind: 'ok', ...(await signPkiAuthChallenge(this.#card, this.#algorithm, challenge)) };
    } catch (error: unknown) {
      if (isPivError(error, 'security-status')) return { kind: 'pin-needed' };
      this.#options.log?.('card-sign-failed', { code: errorCode(error) });
      return wasRemoved(error) ? REMOVED : { kind: 'card-error' };
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#disconnect();
    } catch (error: unknown) {
      // The card is usually gone already (that is why sessions end); nothing is left to release.
      this.#options.log?.('card-disconnect-failed', { code: errorCode(error) });
    }
  }
}

export function createPcscCardPort(service: SmartCardService, options: PcscCardPortOptions = {}): KioskCardPort {
  const readers = new Set<string>();
  let serviceDown = false;
  let started = false;
  const listeners = new Set<(event: CardReaderEvent) => void>();
  const emit = (event: CardReaderEvent): void => {
    for (const listener of listeners) listener(event);
  };
  const emitReaders = (): void =>
    emit({ type: 'readers', readers: serviceDown ? 'service-down' : readers.size === 0 ? 'none' : 'ready' });

  const used = options.useReader ?? (() => true);
  service.on('reader-added', ({ reader }) => {
    if (used(reader)) {
      readers.add(reader);
      emitReaders();
    }
  });
  service.on('reader-removed', ({ reader }) => {
    if (readers.delete(reader)) emitReaders();
  });
  service.on('card-inserted', ({ reader }) => {
    if (used(reader)) emit({ type: 'inserted', reader });
  });
  service.on('card-removed', ({ reader }) => {
    if (used(reader)) emit({ type: 'removed', reader });
  });
  service.on('service-down', () => {
    serviceDown = true;
    readers.clear();
    emitReaders();
  });
  service.on('service-up', () => {
    serviceDown = false;
    emitReaders();
  });

  return {
    subscribe(listener) {
      listeners.add(listener);
      emitReaders();
      if (!started) {
        started = true;
        service.start();
      }
      return () => {
        listeners.delete(listener);
      };
    },
    async open(reader) {
      if (!used(reader)) return null;
      try {
        const connection = await service.connect(reader);
        const card = new PivCard(connection, {
          atr: connection.atr,
          ...(options.commandDeadlineMs === undefined ? {} : { commandDeadlineMs: options.commandDeadlineMs }),
        });
        return new PcscKioskCard(card, () => connection.disconnect(), options);
      } catch (error: unknown) {
        options.log?.('card-connect-failed', { code: errorCode(error) });
        return null;
      }
    },
    async stop() {
      listeners.clear();
      await service.stop();
    },
  };
}
