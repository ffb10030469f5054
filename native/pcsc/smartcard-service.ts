/**
 * SmartCardService over the npm package `smartcard` (PC/SC through pcsc-lite / WinSCard).
 *
 * Why `smartcard` and not `pcsclite` (the library DESIGN.md first named):
 * - `smartcard` is a Node-API addon: its ABI is stable across Node and Electron versions, so the same
 *   build loads in Electron unchanged. `pcsclite` is a NAN addon that must be rebuilt against every
 *   Electron ABI (electron-rebuild in every packaging run, and a crash if someone forgets).
 * - `smartcard` runs every blocking PC/SC call (SCardGetStatusChange, SCardConnect, SCardTransmit) on a
 *   worker thread and returns promises. The `@pokusew/pcsclite` fork blocks the event loop when pcscd is
 *   down, which would freeze the kiosk UI exactly when it should say "smart card service not running".
 * - It ships its own TypeScript types.
 *
 * What this adapter adds on top: one PC/SC context dedicated to watching (pcsc-lite serialises calls on
 * a context, so a blocked SCardGetStatusChange would otherwise delay every connect), a short-lived
 * context per connection, reconnection with back-off when the service stops, typed events, and errors
 * mapped to SmartCardError codes.
 */
import { EventEmitter } from 'node:events';
import {
  Context,
  SCARD_PROTOCOL_T0,
  SCARD_PROTOCOL_T1,
  SCARD_LEAVE_CARD,
  SCARD_RESET_CARD,
  SCARD_SHARE_SHARED,
  SCARD_STATE_CHANGED,
  SCARD_STATE_PRESENT,
} from 'smartcard';
import type { CardInterface, ContextInterface, ReaderState } from 'smartcard';
import { SmartCardError, toSmartCardError } from './errors.ts';
import type { CardConnection, ReaderStatus, SmartCardEvents, SmartCardService } from './smart-card-service.ts';

/** pcsc-lite's pseudo reader that changes state when a reader is plugged in or out. */
const PNP_NOTIFICATION = '\\\\?PnP?\\Notification';
/** Largest response we accept: extended-length APDU (65 536 bytes) plus SW1 SW2. */
const MAX_RESPONSE_BYTES = 65_538;
/** Largest command we send: extended-length header + Lc + 65 535 data bytes + Le. */
const MAX_COMMAND_BYTES = 4 + 3 + 65_535 + 3;

export interface SmartCardServiceOptions {
  /** First retry delay after the service went away; doubles up to maxRetryMs. */
  readonly initialRetryMs?: number;
  readonly maxRetryMs?: number;
  /** A transmit that gets no answer within this time rejects with 'transmit-timeout'. */
  readonly transmitTimeoutMs?: number;
  /** How long the watcher's SCardGetStatusChange waits before looping (a safety net, not a poll). */
  readonly watchSliceMs?: number;
}

interface KnownReader {
  state: number;
  atr: Uint8Array | null;
}

const isPresent = (state: number): boolean => (state & SCARD_STATE_PRESENT) !== 0;
/** pcsc-lite keeps a per-reader event counter in the upper 16 bits: it changes on every insert/remove. */
const eventCounter = (state: number): number => (state >>> 16) & 0xffff;
/** The state we last saw, handed back to SCardGetStatusChange so it returns on the next change. */
const watchState = (name: string, state: number): ReaderState => ({
  name,
  state: (state & ~SCARD_STATE_CHANGED) >>> 0,
  changed: false,
  atr: null,
});
/** A reset that takes longer than this is abandoned; the handle is released anyway. */
const RESET_TIMEOUT_MS = 3_000;
const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
};
/** How often stop() repeats SCardCancel until the watcher's wait has returned. */
const CANCEL_RETRY_MS = 50;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createSmartCardService(options: SmartCardServiceOptions = {}): SmartCardService {
  return new PcscSmartCardService(options);
}

class PcscSmartCardService extends EventEmitter<SmartCardEvents> implements SmartCardService {
  private readonly initialRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly transmitTimeoutMs: number;
  private readonly watchSliceMs: number;
  private running = false;
  private serviceDown = false;
  private watchContext: ContextInterface | null = null;
  private readonly known = new Map<string, KnownReader>();
  private pnpState = 0;
  private loop: Promise<void> | null = null;
  private wakeRetry: (() => void) | null = null;

  constructor(options: SmartCardServiceOptions) {
    super();
    this.initialRetryMs = options.initialRetryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 2_000;
    this.transmitTimeoutMs = options.transmitTimeoutMs ?? 30_000;
    this.watchSliceMs = options.watchSliceMs ?? 60_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.watch();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeRetry?.();
    const loop = this.loop;
    if (loop !== null) await this.cancelUntilSettled(loop);
    this.loop = null;
  }

  listReaders(): Promise<ReaderStatus[]> {
    try {
      const context = establishContext();
      try {
        return Promise.resolve(
          context.listReaders().map((reader) => ({
            name: reader.name,
            cardPresent: isPresent(reader.state),
            atr: isPresent(reader.state) && reader.atr !== null ? new Uint8Array(reader.atr) : null,
          })),
        );
      } finally {
        context.close();
      }
    } catch (error) {
      return Promise.reject(toSmartCardError(error));
    }
  }

  async connect(readerName: string): Promise<CardConnection> {
    const context = establishContext();
    try {
      const reader = context.listReaders().find((candidate) => candidate.name === readerName);
      if (reader === undefined) throw new SmartCardError('no-reader', readerName);
      if (!isPresent(reader.state)) throw new SmartCardError('no-card', readerName);
      const card = await reader.connect(SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1);
      const atr = new Uint8Array(card.getStatus().atr);
      return new PcscCardConnection(context, card, readerName, atr, this.transmitTimeoutMs);
    } catch (error) {
      context.close();
      const mapped = toSmartCardError(error, readerName);
      // SCardConnect says "no smart card" for an empty reader; before connecting that is not a removal.
      throw mapped.code === 'card-removed' ? new SmartCardError('no-card', readerName, mapped.detail) : mapped;
    }
  }

  // ---- watcher -------------------------------------------------------------------------------

  private async watch(): Promise<void> {
    let retryMs = this.initialRetryMs;
    while (this.running) {
      try {
        this.watchContext ??= establishContext();
        if (this.serviceDown) {
          this.serviceDown = false;
          this.emit('service-up');
        }
        retryMs = this.initialRetryMs;
        await this.watchOnce(this.watchContext);
      } catch (error) {
        this.dropWatchContext();
        if (!this.running) break;
        this.forgetAllReaders();
        const mapped = toSmartCardError(error);
        if (mapped.code === 'service-unavailable' && !this.serviceDown) {
          this.serviceDown = true;
          this.emit('service-down', { message: mapped.message });
        }
        await this.retryDelay(retryMs);
        retryMs = Math.min(retryMs * 2, this.maxRetryMs);
      }
    }
    this.dropWatchContext();
    this.forgetAllReaders();
  }

  /** One round: report what changed since last time, then block until pcscd reports a change. */
  private async watchOnce(context: ContextInterface): Promise<void> {
    const readers = context.listReaders();
    this.reconcile(
      readers.map((reader) => ({ name: reader.name, state: reader.state, atr: reader.atr, changed: false })),
    );
    this.pnpState = (readers.length << 16) >>> 0;
    const watched = [
      ...[...this.known].map(([name, known]) => watchState(name, known.state)),
      watchState(PNP_NOTIFICATION, this.pnpState),
    ];
    const changes = await context.waitForChange(watched, this.watchSliceMs);
    if (changes === null) return; // cancelled by stop()
    this.reconcile(
      changes.filter((change) => change.name !== PNP_NOTIFICATION && this.known.has(change.name)),
      false,
    );
  }

  /**
   * Compares reader states with what we last reported and emits the difference. With `complete`, the
   * list is every reader there is, so readers missing from it are gone.
   */
  private reconcile(states: readonly ReaderState[], complete = true): void {
    if (complete) {
      for (const name of [...this.known.keys()]) {
        if (!states.some((state) => state.name === name)) this.forgetReader(name);
      }
    }
    for (const { name, state, atr } of states) {
      const previous = this.known.get(name);
      const present = isPresent(state);
      const atrBytes = present && atr !== null ? new Uint8Array(atr) : null;
      this.known.set(name, { state, atr: atrBytes });
      if (previous === undefined) this.emit('reader-added', { reader: name });
      const wasPresent = previous !== undefined && isPresent(previous.state);
      // A pull-and-reinsert between two looks shows up only as a changed event counter.
      const swapped = wasPresent && present && eventCounter(previous.state) !== eventCounter(state);
      if (wasPresent && (!present || swapped)) this.emit('card-removed', { reader: name });
      if (present && (!wasPresent || swapped))
        this.emit('card-inserted', { reader: name, atr: atrBytes ?? new Uint8Array() });
    }
  }

  private forgetReader(name: string): void {
    const previous = this.known.get(name);
    this.known.delete(name);
    if (previous !== undefined && isPresent(previous.state)) this.emit('card-removed', { reader: name });
    this.emit('reader-removed', { reader: name });
  }

  private forgetAllReaders(): void {
    for (const name of [...this.known.keys()]) this.forgetReader(name);
  }

  private retryDelay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeRetry = null;
        resolve();
      }, ms);
      this.wakeRetry = () => {
        clearTimeout(timer);
        this.wakeRetry = null;
        resolve();
      };
    });
  }

  /**
   * pcsc-lite's SCardCancel only reaches a SCardGetStatusChange that is already blocked in pcscd: a
   * cancel issued while the worker thread is still entering the call is dropped without an error, and
   * the wait then runs its whole slice (60 s). stop() usually comes right after an event, exactly when
   * the watcher is re-entering its wait, so we cancel again until the loop has ended.
   */
  private async cancelUntilSettled(loop: Promise<void>): Promise<void> {
    let settled = false;
    const ended = loop.finally(() => {
      settled = true;
    });
    while (!settled) {
      this.cancelWatchContext();
      await withTimeout(ended, CANCEL_RETRY_MS);
    }
  }

  private cancelWatchContext(): void {
    try {
      this.watchContext?.cancel();
    } catch (error) {
      // The service is gone, so nothing is waiting; the loop notices `running` is false on its own.
      void error;
    }
  }

  private dropWatchContext(): void {
    const context = this.watchContext;
    this.watchContext = null;
    if (context === null) return;
    try {
      context.close();
    } catch (error) {
      void error; // releasing a context of a dead pcscd can fail; there is nothing left to release
    }
  }
}

function establishContext(): ContextInterface {
  try {
    return new Context();
  } catch (error) {
    throw toSmartCardError(error);
  }
}

class PcscCardConnection implements CardConnection {
  private closed = false;
  /** Exchanges run one after another: PC/SC has no pipelining and PIV chaining relies on order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: ContextInterface,
    private readonly card: CardInterface,
    readonly reader: string,
    readonly atr: Uint8Array,
    private readonly timeoutMs: number,
  ) {}

  transmit(command: Uint8Array): Promise<Uint8Array> {
    const result = this.queue.then(() => this.exchange(command));
    this.queue = result.catch((error: unknown) => error);
    return result;
  }

  async disconnect(options: { reset?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch((error: unknown) => error);
    try {
      // SCardReconnect runs on a worker thread; SCardDisconnect with a reset disposition would run on
      // the main thread and can stall it for as long as the reader takes to reset the card.
      if (options.reset === true)
        await withTimeout(
          this.card.reconnect(SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_RESET_CARD),
          RESET_TIMEOUT_MS,
        );
    } catch (error) {
      void error; // the card is gone or would not reset: releasing the handle below is all that is left
    }
    try {
      this.card.disconnect(SCARD_LEAVE_CARD);
    } catch (error) {
      void error; // the card or the service is already gone: the handle is released either way
    } finally {
      this.context.close();
    }
  }

  private async exchange(command: Uint8Array): Promise<Uint8Array> {
    if (this.closed) throw new SmartCardError('connection-closed', this.reader);
    if (command.length < 4 || command.length > MAX_COMMAND_BYTES)
      throw new SmartCardError('invalid-command', this.reader);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SmartCardError('transmit-timeout', this.reader)), this.timeoutMs);
    });
    try {
      const response = await Promise.race([
        this.card.transmit(Buffer.from(command.buffer, command.byteOffset, command.length), {
          maxRecvLength: MAX_RESPONSE_BYTES,
        }),
        timeout,
      ]);
      // vpcd (and some readers) answer an exchange cut short by a removal with no bytes at all.
      if (response.length < 2)
        throw new SmartCardError('transmit-failed', this.reader, 'response shorter than a status word');
      return new Uint8Array(response.buffer, response.byteOffset, response.length);
    } catch (error) {
      throw await this.explainFailure(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A card pulled mid-command often surfaces as a generic "communication error"; pcscd notices the
   * removal only on its next presence poll. Ask the reader for up to a second before naming the cause.
   */
  private async explainFailure(error: unknown): Promise<SmartCardError> {
    const mapped = toSmartCardError(error, this.reader);
    if (mapped.code !== 'transmit-failed' && mapped.code !== 'transmit-timeout') return mapped;
    if (await this.cardGone()) return new SmartCardError('card-removed', this.reader, mapped.detail);
    return mapped;
  }

  private async cardGone(): Promise<boolean> {
    const deadline = Date.now() + 1_000;
    let known = watchState(this.reader, 0);
    while (Date.now() < deadline) {
      try {
        const states = await this.context.waitForChange([known], Math.max(1, deadline - Date.now()));
        const state = states?.[0];
        if (state === undefined) return false; // timed out: the card is still there
        if (!isPresent(state.state)) return true;
        known = watchState(this.reader, state.state);
      } catch (error) {
        return toSmartCardError(error).code !== 'transmit-failed';
      }
      await sleep(0);
    }
    return false;
  }
}
