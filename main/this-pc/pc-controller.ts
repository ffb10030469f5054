// The app's "Set up this PC" (issue 14), main side: the screens' state, the card in a reader (the kiosk's card port),
// the PIN verified here and wiped (both through card/card-pin-session.ts), then the flow of this-pc.ts through
// `PcOperations` (which owns the state file, the key store and the issuer). The page gets views and sends four calls
// (contracts/pc-api.ts); the card PIN is the only secret that crosses, once, and the token PIN, the issuer session
// and the keys never do.
//
//   status ─start→ insert-card ─card in→ reading-card → pin ─VERIFY ok→ working (signing-in → creating-key →
//   issuing → installing) → done | failed;   status ─remove→ working (revoking) → done | failed;
//   a wrong PIN stays on pin; the card out before the PIN is verified → failed (card-removed); cancel → status.
import type { PcFault, PcHandlers, PcInstalled, PcPurpose, PcView, PcWorkStep } from '../../contracts/pc-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import type { KioskCardPort, KioskCardSession } from '../card/card-port.ts';
import { watchCardPin } from '../card/card-pin-session.ts';
import type { CardPinSession } from '../card/card-pin-session.ts';
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import { createViewPublisher } from '../transport/view-publisher.ts';
import { signInWithVerifiedCard } from './card-sign-in.ts';
import type { CardSignIn } from './card-sign-in.ts';
import type { PcError } from './pc-errors.ts';

/** The PKI-AUTH calls the card's sign-in needs; `PcOperations` passes its own issuer client. */
export type SignInWith = (
  issuer: Pick<KioskIssuerPort, 'challenge' | 'answerChallenge'>,
) => Promise<Result<CardSignIn, PcError>>;

/** What the app does on this PC: the CLI's own state file, key store, issuer, NSS and reminder (cli/pc-app.ts). */
export interface PcOperations {
  /** What this PC holds now; null when it is not set up. */
  installed(): Promise<PcInstalled | null>;
  /** The new credential, and how many keys an earlier cut-off attempt left that this run removed (pc-setup.ts). */
  enroll(
    signIn: SignInWith,
    onStep: (step: PcWorkStep) => void,
  ): Promise<Result<{ installed: PcInstalled; unfinishedKeysRemoved: number }, PcError>>;
  renew(
    signIn: SignInWith,
    onStep: (step: PcWorkStep) => void,
  ): Promise<Result<{ installed: PcInstalled; oldCredentialLeft: boolean; unfinishedKeysRemoved: number }, PcError>>;
  remove(onStep: (step: PcWorkStep) => void): Promise<Result<null, PcError>>;
}

export type PcLog = (event: string, fields?: Readonly<Record<string, string | number>>) => void;

export interface PcControllerOptions {
  readonly card: KioskCardPort;
  readonly operations: PcOperations;
  readonly log?: PcLog;
}

export interface PcController {
  readonly handlers: PcHandlers;
  onView(listener: (view: PcView) => void): () => void;
  /** Waits for a running step, closes the card and stops the card port. */
  stop(): Promise<void>;
  /**
   * The window was closed: null when no step runs (it may close now); else the working screen says the window closes
   * by itself once the step is done, and this resolves when it is (main/electron/close-after-step.ts).
   */
  finishBeforeClosing(): Promise<void> | null;
}

/** The done screen's note of unfinished keys removed: only when there were some. */
const removedKeys = (count: number): { unfinishedKeysRemoved?: number } =>
  count > 0 ? { unfinishedKeysRemoved: count } : {};

/** main's fault (pc-errors.ts) as the kind the page says in the person's language. */
export function pcFault(error: PcError): { fault: PcFault; issuerSentence?: string } {
  switch (error.code) {
    case 'card-removed':
    case 'card-refused':
    case 'pin-blocked':
    case 'card-error':
    case 'store-failed':
    case 'issuer-unreachable':
      return { fault: error.code };
    case 'pin-wrong':
      return { fault: 'card-error' }; // the PIN screen handles wrong PINs; one here is the card's own confusion
    case 'no-platform-store':
      return { fault: 'no-tpm' };
    case 'store-busy':
      return { fault: 'tpm-busy' };
    case 'store-pin-incorrect':
      return { fault: 'token-pin-wrong' };
    case 'install-failed':
      return { fault: 'install-failed-revoked' };
    case 'install-failed-not-revoked':
      return { fault: 'install-failed-not-revoked' };
    case 'not-enrolled':
      return { fault: 'not-set-up' };
    case 'another-run':
      return { fault: 'another-run' };
    case 'issuer-refused':
      return error.issuerCode === 'software-key-refused'
        ? { fault: 'software-key-refused' }
        : { fault: 'issuer-refused', issuerSentence: error.message };
  }
}

export function createPcController(options: PcControllerOptions): PcController {
  const log: PcLog = options.log ?? (() => undefined);
  const operations = options.operations;
  const views = createViewPublisher<PcView>({ screen: 'status', installed: null });
  const publish = views.publish;
  let running: Promise<void> | null = null;
  /** Set once the window was closed mid-step: every later step keeps saying so. */
  let closing = false;
  const showWorking = (purpose: PcPurpose | 'remove', step: PcWorkStep): void =>
    publish({ screen: 'working', purpose, step, ...(closing ? { closing: true as const } : {}) });

  /** What this PC holds; a state it cannot read is shown as "not set up" (the CLI says why: `dck pc status`). */
  const installedNow = (): Promise<PcInstalled | null> =>
    operations.installed().catch((error: unknown) => {
      log('pc-status-unreadable', { error: error instanceof Error ? error.name : typeof error });
      return null;
    });

  const showStatus = async (): Promise<void> => {
    publish({ screen: 'status', installed: await installedNow() });
  };

  const fail = (purpose: PcPurpose | 'remove', error: PcError): void => {
    log('pc-failed', { purpose, code: error.code });
    publish({ screen: 'failed', purpose, ...pcFault(error) });
  };

  const readCard = async (reader: string, purpose: PcPurpose): Promise<void> => {
    publish({ screen: 'reading-card', purpose });
    const reading = await runCard.take(reader);
    switch (reading.kind) {
      case 'superseded':
        return;
      case 'unreadable':
        return fail(purpose, { code: 'card-removed', message: 'card unreachable' });
      case 'card-removed':
      case 'refused':
        await runCard.release();
        return fail(purpose, {
          code: reading.kind === 'card-removed' ? 'card-removed' : 'card-refused',
          message: reading.kind,
        });
      case 'ok':
        return publish({
          screen: 'pin',
          purpose,
          holderName: reading.holderName,
          triesLeft: reading.triesLeft,
          lastTryWarning: reading.triesLeft === 1,
          lastAttempt: 'none',
          busy: false,
        });
    }
  };

  // The card the person inserted for this run, held from insertion until the PIN is verified and the sign-in is done.
  const runCard: CardPinSession = watchCardPin(options.card, {
    inserted: (reader) => {
      const view = views.current();
      if (view.screen === 'insert-card' && runCard.held() === null) void readCard(reader, view.purpose);
    },
    heldCardRemoved: () => {
      // Once the PIN is verified the flow has what it needs from the card (or learns of its removal itself).
      const view = views.current();
      if (view.screen === 'reading-card' || view.screen === 'pin') {
        void runCard.release();
        fail(view.purpose, { code: 'card-removed', message: 'card taken out' });
      }
    },
  });

  /** The operation with the verified card's sign-in; the card is released as soon as the sign-in is done. */
  const runFlow = async (purpose: PcPurpose, session: KioskCardSession, certificateDer: Uint8Array): Promise<void> => {
    const onStep = (step: PcWorkStep): void => showWorking(purpose, step);
    const signIn: SignInWith = async (issuer) => {
      onStep('signing-in');
      try {
        return await signInWithVerifiedCard(session, issuer, certificateDer);
      } finally {
        await runCard.release();
      }
    };
    onStep('signing-in');
    if (purpose === 'enroll') {
      const enrolled = await operations.enroll(signIn, onStep);
      if (!enrolled.ok) return fail('enroll', enrolled.error);
      log('pc-set-up');
      return publish({
        screen: 'done',
        outcome: 'set-up',
        installed: enrolled.value.installed,
        oldCredentialLeft: false,
        ...removedKeys(enrolled.value.unfinishedKeysRemoved),
      });
    }
    const renewed = await operations.renew(signIn, onStep);
    if (!renewed.ok) return fail('renew', renewed.error);
    log('pc-renewed', { oldCredentialLeft: renewed.value.oldCredentialLeft ? 1 : 0 });
    const { installed, oldCredentialLeft, unfinishedKeysRemoved } = renewed.value;
    publish({
      screen: 'done',
      outcome: 'renewed',
      installed,
      oldCredentialLeft,
      ...removedKeys(unfinishedKeysRemoved),
    });
  };

  /** One step at a time: a call while one runs is refused; stop() waits for it. */
  const runExclusive = (work: () => Promise<void>): void => {
    running = work()
      .catch((error: unknown) => {
        log('pc-internal-error', { error: error instanceof Error ? error.name : typeof error });
        publish({ screen: 'failed', purpose: 'enroll', fault: 'store-failed' });
      })
      .finally(() => {
        running = null;
      });
  };

  const handlers: PcHandlers = {
    start: async (purpose) => {
      const shown = views.current().screen;
      if (running !== null || !['status', 'done', 'failed'].includes(shown))
        return err({ code: 'not-now', detail: `start on ${shown}` });
      const installed = await installedNow();
      if (purpose === 'enroll' && installed !== null)
        return err({ code: 'not-now', detail: 'this PC is set up already: renew or remove' });
      if (purpose === 'renew' && installed === null) {
        publish({ screen: 'failed', purpose, fault: 'not-set-up' });
        return ok(undefined);
      }
      await runCard.release();
      publish({ screen: 'insert-card', purpose });
      // A card already in a reader is used at once (the first one, as the console does).
      const [reader] = runCard.readersWithCard;
      if (reader !== undefined) void readCard(reader, purpose);
      return ok(undefined);
    },
    submitPin: async (pin, { confirmLastTry }) => {
      const current = runCard.held();
      const session = current?.session ?? null;
      const certificateDer = current?.certificateDer ?? null;
      const asked = views.current();
      if (current === null || session === null || certificateDer === null || asked.screen !== 'pin' || asked.busy) {
        pin.fill(0);
        return err({ code: 'not-now', detail: 'no card waits for a PIN' });
      }
      if (asked.lastTryWarning && !confirmLastTry) {
        pin.fill(0);
        return err({ code: 'last-try-not-confirmed' });
      }
      publish({ ...asked, busy: true });
      const outcome = await runCard.verifyPin(pin);
      switch (outcome.kind) {
        case 'no-card':
        case 'superseded':
          return ok(undefined);
        case 'wrong':
          publish({
            ...asked,
            triesLeft: outcome.triesLeft,
            lastTryWarning: outcome.triesLeft === 1,
            lastAttempt: 'wrong',
            busy: false,
          });
          return ok(undefined);
        case 'card-removed':
        case 'blocked':
        case 'card-error':
          await runCard.release();
          fail(asked.purpose, {
            code: outcome.kind === 'blocked' ? 'pin-blocked' : outcome.kind,
            message: outcome.kind,
          });
          return ok(undefined);
        case 'ok':
          runExclusive(() => runFlow(asked.purpose, session, certificateDer));
          return ok(undefined);
      }
    },
    remove: () => {
      const view = views.current();
      if (running !== null || view.screen !== 'status' || view.installed === null)
        return Promise.resolve(err({ code: 'not-now', detail: 'nothing to remove now' }));
      runExclusive(async () => {
        const removed = await operations.remove((step) => showWorking('remove', step));
        if (!removed.ok) return fail('remove', removed.error);
        log('pc-removed');
        publish({ screen: 'done', outcome: 'removed', installed: null, oldCredentialLeft: false });
      });
      return Promise.resolve(ok(undefined));
    },
    cancel: async () => {
      if (running !== null || views.current().screen === 'working')
        return err({ code: 'not-now', detail: 'a step is running' });
      await runCard.release();
      await showStatus();
      return ok(undefined);
    },
  };

  void showStatus();
  return {
    handlers,
    onView: views.onView,
    stop: async () => {
      runCard.stopWatching();
      await running;
      await runCard.stop();
    },
    finishBeforeClosing: () => {
      if (running === null) return null;
      closing = true;
      const view = views.current();
      if (view.screen === 'working') publish({ ...view, closing: true });
      log('pc-closing-after-step');
      return running;
    },
  };
}
