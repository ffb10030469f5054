// The work of one card insertion: card and issuer operations run one at a time, in order (a card answers one
// APDU sequence at a time), and all of it is aborted and dropped when the session ends.
import type { KioskCardSession } from '../card/card-port.ts';
import { errorName } from './log.ts';
import type { KioskLog } from './log.ts';
import type { SessionId } from './state.ts';

/** Work belonging to one card insertion. Dropped (and aborted) when the session ends. */
export interface SessionWork {
  readonly id: SessionId;
  readonly reader: string;
  readonly abort: AbortController;
  queue: Promise<void>;
  card: KioskCardSession | null;
  certificateDer: Uint8Array | null;
  /** The long poll for the phone, which runs beside the queue. */
  waiting: AbortController | null;
}

export class SessionWorkQueue {
  readonly #log: KioskLog;
  /** Called when a task threw (a port broke its contract): the controller ends the session. */
  readonly #taskFailed: (work: SessionWork) => void;
  #work: SessionWork | null = null;

  constructor(log: KioskLog, taskFailed: (work: SessionWork) => void) {
    this.#log = log;
    this.#taskFailed = taskFailed;
  }

  get current(): SessionWork | null {
    return this.#work;
  }

  /** The work record for a session, created on its first effect (read-card) for the reader its card is in. */
  workFor(sessionId: SessionId, readerOf: (sessionId: SessionId) => string | undefined): SessionWork | null {
    if (this.#work?.id === sessionId) return this.#work;
    if (this.#work !== null) return null;
    const reader = readerOf(sessionId);
    if (reader === undefined) return null;
    this.#work = {
      id: sessionId,
      reader,
      abort: new AbortController(),
      queue: Promise.resolve(),
      card: null,
      certificateDer: null,
      waiting: null,
    };
    return this.#work;
  }

  /** Runs `task` after the session's earlier tasks; skipped (with `onSkip`) once the session has ended. */
  enqueue(work: SessionWork | null, task: (work: SessionWork) => Promise<void>, onSkip?: () => void): void {
    if (work === null) {
      onSkip?.();
      return;
    }
    work.queue = work.queue.then(async () => {
      if (work.abort.signal.aborted) {
        onSkip?.();
        return;
      }
      try {
        await task(work);
      } catch (error: unknown) {
        // A port broke its contract (they return outcomes, not throw). Log the kind only and end the session.
        this.#log('session-task-failed', { sessionId: work.id, error: errorName(error) });
        if (!work.abort.signal.aborted) this.#taskFailed(work);
      }
    });
  }

  /** Aborts the session's work and forgets its card data; the card closes after any running command. */
  end(sessionId: SessionId): SessionWork | null {
    const work = this.#work;
    if (work === null || work.id !== sessionId) return null;
    this.#work = null;
    work.abort.abort();
    work.waiting?.abort();
    work.certificateDer = null;
    // Close after any running card command finishes (APDUs cannot be interrupted halfway).
    work.queue = work.queue.then(async () => {
      await work.card?.close();
      work.card = null;
    });
    return work;
  }
}
