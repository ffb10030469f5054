// The app's "Set up this PC" (issue 14), main side: the screens' state, the card in a reader (the kiosk's card port),
// the PIN verified here and wiped, then the flow of this-pc.ts through `PcOperations` (which owns the state file, the
// key store and the issuer). The page gets views and sends four calls (contracts/pc-api.ts); the card PIN is the
// only secret that crosses, once, and the token PIN, the issuer session and the keys never do.
//
//   status ─start→ insert-card ─card in→ reading-card → pin ─VERIFY ok→ working (signing-in → creating-key →
//   issuing → installing) → done | failed;   status ─remove→ working (revoking) → done | failed;
//   a wrong PIN stays on pin; the card out before the PIN is verified → failed (card-removed); cancel → status.
import type { PcFault, PcHandlers, PcInstalled, PcPurpose, PcView, PcWorkStep } from '../../contracts/pc-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import type { CardReaderEvent, KioskCardPort, KioskCardSession } from '../card/card-port.ts';
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
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
  enroll(signIn: SignInWith, onStep: (step: PcWorkStep) => void): Promise<Result<PcInstalled, PcError>>;
  renew(
    signIn: SignInWith,
    onStep: (step: PcWorkStep) => void,
  ): Promise<Result<{ installed: PcInstalled; oldCredentialLeft: boolean }, PcError>>;
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
}

/** The card the person inserted for this run, from insertion until the PIN is verified and the sign-in is done. */
interface RunCard {
  readonly reader: string;
  readonly purpose: PcPurpose;
  session: KioskCardSession | null;
  certificateDer: Uint8Array | null;
}

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
    case 'issuer-refused':
      return error.issuerCode === 'software-key-refused'
        ? { fault: 'software-key-refused' }
        : { fault: 'issuer-refused', issuerSentence: error.message };
  }
}

export function createPcController(options: PcControllerOptions): PcController {
  const log: PcLog = options.log ?? (() => undefined);
  const operations = options.operations;
  const listeners = new Set<(view: PcView) => void>();
  const cardsIn = new Set<string>();
  let view: PcView = { screen: 'status', installed: null };
  let card: RunCard | null = null;
  let running: Promise<void> | null = null;

  const publish = (next: PcView): void => {
    view = next;
    for (const listener of listeners) listener(next);
  };

  /** Releases (and resets) the card: its verified PIN does not outlive the sign-in. */
  const releaseCard = async (): Promise<void> => {
    const session = card?.session ?? null;
    card = null;
    await session?.close();
  };

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

  const readCard = async (current: RunCard): Promise<void> => {
    publish({ screen: 'reading-card', purpose: current.purpose });
    const session = await options.card.open(current.reader);
    if (card !== current) return void (await session?.close());
    if (session === null) return void fail(current.purpose, { code: 'card-removed', message: 'card unreachable' });
    current.session = session;
    const identity = await session.readIdentity();
    if (card !== current) return;
    if (identity.kind !== 'ok') {
      await releaseCard();
      return fail(current.purpose, {
        code: identity.kind === 'card-removed' ? 'card-removed' : 'card-refused',
        message: identity.kind,
      });
    }
    current.certificateDer = identity.certificateDer;
    publish({
      screen: 'pin',
      purpose: current.purpose,
      holderName: identity.holderName,
      triesLeft: identity.triesLeft,
      lastTryWarning: identity.triesLeft === 1,
      lastAttempt: 'none',
      busy: false,
    });
  };

  const onReaderEvent = (event: CardReaderEvent): void => {
    if (event.type === 'inserted') {
      cardsIn.add(event.reader);
      if (view.screen === 'insert-card' && card === null) {
        card = { reader: event.reader, purpose: view.purpose, session: null, certificateDer: null };
        void readCard(card);
      }
    }
    if (event.type === 'removed') {
      cardsIn.delete(event.reader);
      // Once the PIN is verified the flow has what it needs from the card (or learns of its removal itself).
      if (card?.reader === event.reader && (view.screen === 'reading-card' || view.screen === 'pin')) {
        const purpose = card.purpose;
        void releaseCard();
        fail(purpose, { code: 'card-removed', message: 'card taken out' });
      }
    }
  };
  const unsubscribe = options.card.subscribe(onReaderEvent);

  /** The operation with the verified card's sign-in; the card is released as soon as the sign-in is done. */
  const runFlow = async (current: RunCard, session: KioskCardSession, certificateDer: Uint8Array): Promise<void> => {
    const onStep = (step: PcWorkStep): void => publish({ screen: 'working', purpose: current.purpose, step });
    const signIn: SignInWith = async (issuer) => {
      onStep('signing-in');
      try {
        return await signInWithVerifiedCard(session, issuer, certificateDer);
      } finally {
        await releaseCard();
      }
    };
    onStep('signing-in');
    if (current.purpose === 'enroll') {
      const enrolled = await operations.enroll(signIn, onStep);
      if (!enrolled.ok) return fail('enroll', enrolled.error);
      log('pc-set-up');
      return publish({ screen: 'done', outcome: 'set-up', installed: enrolled.value, oldCredentialLeft: false });
    }
    const renewed = await operations.renew(signIn, onStep);
    if (!renewed.ok) return fail('renew', renewed.error);
    log('pc-renewed', { oldCredentialLeft: renewed.value.oldCredentialLeft ? 1 : 0 });
    publish({ screen: 'done', outcome: 'renewed', ...renewed.value });
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
      if (running !== null || !['status', 'done', 'failed'].includes(view.screen))
        return err({ code: 'not-now', detail: `start on ${view.screen}` });
      const installed = await installedNow();
      if (purpose === 'enroll' && installed !== null)
        return err({ code: 'not-now', detail: 'this PC is set up already: renew or remove' });
      if (purpose === 'renew' && installed === null) {
        publish({ screen: 'failed', purpose, fault: 'not-set-up' });
        return ok(undefined);
      }
      await releaseCard();
      publish({ screen: 'insert-card', purpose });
      // A card already in a reader is used at once (the first one, as the console does).
      const [reader] = cardsIn;
      if (reader !== undefined) {
        card = { reader, purpose, session: null, certificateDer: null };
        void readCard(card);
      }
      return ok(undefined);
    },
    submitPin: async (pin, { confirmLastTry }) => {
      const current = card;
      const session = current?.session ?? null;
      const certificateDer = current?.certificateDer ?? null;
      if (current === null || session === null || certificateDer === null || view.screen !== 'pin' || view.busy) {
        pin.fill(0);
        return err({ code: 'not-now', detail: 'no card waits for a PIN' });
      }
      if (view.lastTryWarning && !confirmLastTry) {
        pin.fill(0);
        return err({ code: 'last-try-not-confirmed' });
      }
      const asked = view;
      publish({ ...asked, busy: true });
      let outcome: Awaited<ReturnType<KioskCardSession['verifyPin']>>;
      try {
        outcome = await session.verifyPin(pin);
      } finally {
        pin.fill(0);
      }
      if (card !== current) return ok(undefined);
      switch (outcome.kind) {
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
          await releaseCard();
          fail(current.purpose, {
            code: outcome.kind === 'blocked' ? 'pin-blocked' : outcome.kind,
            message: outcome.kind,
          });
          return ok(undefined);
        case 'ok':
          runExclusive(() => runFlow(current, session, certificateDer));
          return ok(undefined);
      }
    },
    remove: () => {
      if (running !== null || view.screen !== 'status' || view.installed === null)
        return Promise.resolve(err({ code: 'not-now', detail: 'nothing to remove now' }));
      runExclusive(async () => {
        const removed = await operations.remove((step) => publish({ screen: 'working', purpose: 'remove', step }));
        if (!removed.ok) return fail('remove', removed.error);
        log('pc-removed');
        publish({ screen: 'done', outcome: 'removed', installed: null, oldCredentialLeft: false });
      });
      return Promise.resolve(ok(undefined));
    },
    cancel: async () => {
      if (running !== null || view.screen === 'working') return err({ code: 'not-now', detail: 'a step is running' });
      await releaseCard();
      await showStatus();
      return ok(undefined);
    },
  };

  void showStatus();
  return {
    handlers,
    onView(listener) {
      listeners.add(listener);
      listener(view);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      unsubscribe();
      await running;
      await releaseCard();
      await options.card.stop();
    },
  };
}
