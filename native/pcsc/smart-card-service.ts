// The one interface the rest of the product uses to reach card readers. The kiosk's session state
// machine, `dck card …` and the benchmarks depend on this file only; the PC/SC library behind it
// (today `smartcard`, see smartcard-service.ts) can be swapped without touching them.

export interface ReaderEvent {
  readonly reader: string;
}
export interface CardInsertedEvent extends ReaderEvent {
  /** Answer To Reset, as sent by the card. */
  readonly atr: Uint8Array;
}
export interface ServiceDownEvent {
  /** Plain words for a screen or a log: "smart card service not running". */
  readonly message: string;
}

export interface SmartCardEvents {
  'reader-added': [ReaderEvent];
  'reader-removed': [ReaderEvent];
  'card-inserted': [CardInsertedEvent];
  'card-removed': [ReaderEvent];
  /** The PC/SC service went away; every reader and card is reported removed before this. */
  'service-down': [ServiceDownEvent];
  /** The service is back; readers and cards present are reported again after this. */
  'service-up': [];
}
export type SmartCardEventName = keyof SmartCardEvents;

export interface ReaderStatus {
  readonly name: string;
  readonly cardPresent: boolean;
  /** The card's ATR when a card is present, else null. */
  readonly atr: Uint8Array | null;
}

/**
 * A connection to the card in one reader. Structurally a `CardTransport` (piv/transport.ts), so the
 * PIV card edge runs over it unchanged.
 */
export interface CardConnection {
  readonly reader: string;
  readonly atr: Uint8Array;
  /** Sends one APDU and resolves to the response including SW1 SW2; rejects with SmartCardError. */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  /**
   * Releases the card; idempotent. With `reset`, the card is reset first so a PIN verified during
   * this connection does not stay verified for the next program (the kiosk and `dck card` do this).
   */
  disconnect(options?: { reset?: boolean }): Promise<void>;
}

export interface SmartCardService {
  /** Starts watching readers; events for readers and cards already present are emitted first. */
  start(): void;
  /** Stops watching; pending waits are cancelled. Open connections stay usable until disconnected. */
  stop(): Promise<void>;
  /** Current readers and whether a card is in each. Rejects with 'service-unavailable' when pcscd is down. */
  listReaders(): Promise<ReaderStatus[]>;
  /** Connects to the card in `reader` (shared mode, T=0 or T=1). */
  connect(reader: string): Promise<CardConnection>;
  on<E extends SmartCardEventName>(event: E, listener: (...args: SmartCardEvents[E]) => void): this;
  off<E extends SmartCardEventName>(event: E, listener: (...args: SmartCardEvents[E]) => void): this;
  once<E extends SmartCardEventName>(event: E, listener: (...args: SmartCardEvents[E]) => void): this;
}
