// The agent console's main side: the agent's card in a reader (the kiosk's card port), sign-in with it (the kiosk's
// PKI-AUTH: the issuer's challenge, the card's signature, POST /agent/sign-in), the agent session token, and every
// console call forwarded to the issuer with it. The token lives only here: never in a view, a result or a log line.
//
// Locks (the page shows "insert your card" with why): the agent's card leaves the reader (signs out on the issuer at
// once), the issuer says the session is no longer valid, or no call was made for the session's idle time
// (`expiresIn`, which every accepted call renews on the issuer too).
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { CardRefusedReason, Result } from '../../contracts/kiosk-api.ts';
import type { AgentRole } from '../../contracts/agent-api.ts';
import { QUEUE_ACTIVE_STEPS } from '../../contracts/console-api.ts';
import type {
  ConsoleError,
  ConsoleKiosks,
  ConsoleQueue,
  ConsoleHandlers,
  ConsoleLockReason,
  ConsoleResult,
  ConsoleSignInRefusal,
  ConsoleView,
} from '../../contracts/console-api.ts';
import type { KioskCardPort, KioskCardSession } from '../card/card-port.ts';
import { watchCardPin } from '../card/card-pin-session.ts';
import type { CardPinSession, HeldCard } from '../card/card-pin-session.ts';
import type { HttpsIssuerClient } from '../issuer-client/https-issuer-client.ts';
import type { IssuerCall, IssuerCallError } from '../issuer-client/issuer-port.ts';
import { issuerDown } from '../issuer-client/issuer-port.ts';
import { auditExportFile, auditQueryOf, collectAuditRows } from './audit-export.ts';
import { refusalOf } from './issuer-refusal.ts';
import { pollKiosks } from './kiosk-poll.ts';
import type { KioskAnswer } from './kiosk-poll.ts';
import type { QueueFollower, QueueStreamEvent } from './queue-stream.ts';
import { createViewPublisher } from '../transport/view-publisher.ts';

export type ConsoleLog = (event: string, fields?: Readonly<Record<string, string | number>>) => void;

export interface ConsoleControllerOptions {
  readonly card: KioskCardPort;
  readonly issuer: HttpsIssuerClient;
  readonly log?: ConsoleLog;
  /** Follows the live queue with the agent's token (queue-stream.ts); without it the queue stays `connecting`. */
  readonly queue?: QueueFollower;
  /** How often the kiosk list is read while signed in (kiosk-poll.ts; tests shorten it). */
  readonly kioskPollMs?: number;
  /** The clock a re-issued code's expiry is counted from (tests fix it). */
  readonly now?: () => Date;
}

export interface ConsoleController {
  readonly handlers: ConsoleHandlers;
  onView(listener: (view: ConsoleView) => void): () => void;
  stop(): Promise<void>;
}

interface AgentSignedIn {
  readonly token: string;
  readonly idleMs: number;
  readonly agent: { readonly name: string; readonly roles: readonly AgentRole[] };
  timer: ReturnType<typeof setTimeout> | null;
  queue: ConsoleQueue;
  stopQueue: () => void;
  kiosks: ConsoleKiosks;
  stopKiosks: () => void;
}

const refused = (error: IssuerCallError): { readonly ok: false; readonly error: ConsoleError } =>
  err({ code: 'refused', refusal: refusalOf(error) });

/** The issuer's sign-in refusals, as the agent is told them. */
function signInRefusal(error: IssuerCallError): ConsoleSignInRefusal {
  if (issuerDown(error)) return 'issuer-unreachable';
  if (error.code === 'agent-role-missing') return 'no-role';
  return 'card-not-trusted';
}

/** A card the card port refused before any PIN, as the agent is told it. */
function refusalOfCard(reason: CardRefusedReason): ConsoleSignInRefusal {
  if (reason === 'pin-blocked') return 'pin-blocked';
  if (reason === 'unreadable') return 'card-unreadable';
  return 'card-not-trusted';
}

export function createConsoleController(options: ConsoleControllerOptions): ConsoleController {
  const log: ConsoleLog = options.log ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const issuer = options.issuer;
  const views = createViewPublisher<ConsoleView>({ screen: 'locked', reason: 'start' });
  const publish = views.publish;
  let signedIn: AgentSignedIn | null = null;

  /**
   * Ends the agent session (on the issuer too, when it still has one) and shows the lock screen. A card that leaves
   * before its agent signed in only goes back to "insert your card": nobody was signed out.
   */
  const lock = async (reason: ConsoleLockReason): Promise<void> => {
    const ending = signedIn;
    signedIn = null;
    if (ending?.timer) clearTimeout(ending.timer);
    ending?.stopQueue();
    ending?.stopKiosks();
    const shown = ending === null && reason === 'card-removed' ? 'start' : reason;
    publish({ screen: 'locked', reason: shown });
    log('console-locked', { reason: shown });
    await agentCard.closeCard();
    if (ending !== null && reason !== 'session-expired') {
      const answer = await issuer.route('agentSignOut', { bearer: ending.token });
      log('console-signed-out', { outcome: answer.ok ? 'ok' : answer.error.code });
    }
  };

  const armIdleLock = (session: AgentSignedIn): void => {
    if (session.timer) clearTimeout(session.timer);
    session.timer = setTimeout(() => {
      if (signedIn === session) void lock('session-expired');
    }, session.idleMs);
    session.timer.unref?.();
  };

  const onInserted = async (reader: string): Promise<void> => {
    if (agentCard.held() !== null) return; // one agent card at a time: the first one in
    publish({ screen: 'reading-card' });
    const reading = await agentCard.take(reader);
    switch (reading.kind) {
      case 'superseded':
        return;
      case 'unreadable':
        return publish({ screen: 'sign-in-refused', reason: 'card-unreadable' });
      case 'card-removed':
        return lock('card-removed');
      case 'refused':
        return publish({ screen: 'sign-in-refused', reason: refusalOfCard(reading.reason) });
      case 'ok':
        return publish({
          screen: 'pin',
          holderName: reading.holderName,
          triesLeft: reading.triesLeft,
          wrongPin: false,
          busy: false,
        });
    }
  };

  // The agent's card: its removal locks the console at any time (signed in or not).
  const agentCard: CardPinSession = watchCardPin(options.card, {
    inserted: (reader) => void onInserted(reader),
    heldCardRemoved: () => {
      void agentCard.release();
      log('console-card-removed');
      void lock('card-removed');
    },
  });

  /** PKI-AUTH with the verified card: the issuer's challenge, the card's signature, the agent sign-in. */
  const signIn = async (current: HeldCard, session: KioskCardSession): Promise<void> => {
    const challenge = await issuer.challenge();
    if (!challenge.ok) {
      await agentCard.closeCard(); // no sign-in: the verified PIN does not stay on the card either
      return publish({ screen: 'sign-in-refused', reason: signInRefusal(challenge.error) });
    }
    const signed = await session.signChallenge(challenge.value.challenge);
    if (signed.kind === 'card-removed') return void (await lock('card-removed'));
    if (signed.kind !== 'ok' || current.certificateDer === null) {
      await agentCard.closeCard();
      return publish({ screen: 'sign-in-refused', reason: 'card-unreadable' });
    }
    const answer = await issuer.route('agentSignIn', {
      body: {
        challengeId: challenge.value.challengeId,
        kioskNonce: Buffer.from(signed.kioskNonce).toString('base64url'),
        certificate: Buffer.from(current.certificateDer).toString('base64url'),
        signature: Buffer.from(signed.signature).toString('base64url'),
      },
    });
    // The card's work is done: reset it, so the verified PIN does not outlive the sign-in. Its removal still locks.
    await agentCard.closeCard();
    if (!agentCard.isHeld(current)) return;
    if (!answer.ok) {
      log('console-sign-in-refused', { error: answer.error.code });
      return publish({ screen: 'sign-in-refused', reason: signInRefusal(answer.error) });
    }
    const agentSession: AgentSignedIn = {
      token: answer.value.sessionToken,
      idleMs: answer.value.expiresIn * 1000,
      agent: answer.value.agent,
      timer: null,
      queue: { state: 'connecting', entries: [] },
      stopQueue: () => undefined,
      kiosks: { state: 'loading', kiosks: [], checkedAt: null },
      stopKiosks: () => undefined,
    };
    signedIn = agentSession;
    armIdleLock(agentSession);
    log('console-signed-in', { roles: answer.value.agent.roles.join(',') });
    publishSignedIn(agentSession);
    if (options.queue !== undefined)
      agentSession.stopQueue = options.queue(agentSession.token, (event) => onQueueEvent(agentSession, event));
    agentSession.stopKiosks = pollKiosks(
      () => issuer.route('agentKiosks', { bearer: agentSession.token }),
      (answer) => onKiosks(agentSession, answer),
      options.kioskPollMs,
    );
  };

  /** The kiosk list's news: the kiosks as the issuer answered, or "unavailable" (the last list stays on screen). */
  const onKiosks = (session: AgentSignedIn, answer: KioskAnswer): void => {
    if (signedIn !== session) return;
    if (!answer.ok && answer.error.code === 'agent-session-invalid') return void lock('session-expired');
    if (answer.ok) session.kiosks = { state: 'live', kiosks: answer.value.kiosks, checkedAt: now().toISOString() };
    else {
      log('console-kiosks-unavailable', { error: answer.error.code });
      session.kiosks = { ...session.kiosks, state: 'unavailable' };
    }
    publishSignedIn(session);
  };

  const publishSignedIn = (session: AgentSignedIn): void => {
    if (signedIn === session)
      publish({ screen: 'signed-in', agent: session.agent, queue: session.queue, kiosks: session.kiosks });
  };

  /** The queue stream's news: the entries still in progress (done and failed ones drop off), or its break. */
  const onQueueEvent = (session: AgentSignedIn, event: QueueStreamEvent): void => {
    if (signedIn !== session) return;
    if (event.kind === 'session-ended') return void lock('session-expired');
    if (event.kind === 'interrupted') {
      log('console-queue-interrupted', { reason: event.reason });
      session.queue = { state: 'interrupted', entries: session.queue.entries };
    } else {
      const entries = event.queue.enrollments.filter((entry) => QUEUE_ACTIVE_STEPS.includes(entry.step));
      session.queue = { state: 'live', entries };
    }
    publishSignedIn(session);
  };

  const submitPin = async (pin: Uint8Array): ConsoleResult<void> => {
    const current = agentCard.held();
    const session = current?.session ?? null;
    const asked = views.current();
    if (current === null || session === null || asked.screen !== 'pin' || asked.busy) {
      pin.fill(0);
      return err({ code: 'invalid-argument', detail: 'no card waits for a PIN' });
    }
    publish({ ...asked, busy: true, wrongPin: false });
    const outcome = await agentCard.verifyPin(pin);
    switch (outcome.kind) {
      case 'no-card':
      case 'superseded':
        break;
      case 'card-removed':
        await lock('card-removed');
        break;
      case 'wrong':
        publish({ ...asked, triesLeft: outcome.triesLeft, wrongPin: true, busy: false });
        break;
      case 'blocked':
        publish({ screen: 'sign-in-refused', reason: 'pin-blocked' });
        break;
      case 'card-error':
        publish({ screen: 'sign-in-refused', reason: 'card-unreadable' });
        break;
      case 'ok':
        await signIn(current, session);
    }
    return ok(undefined);
  };

  /** One agent call with the session token: renews the idle lock when accepted, locks when the session ended. */
  const withSession = async <T, R>(
    call: (token: string) => IssuerCall<T>,
    shape: (value: T) => R,
  ): ConsoleResult<R> => {
    const session = signedIn;
    if (session === null) return err({ code: 'refused', refusal: 'session-ended' });
    const answer = await call(session.token);
    if (answer.ok) {
      if (signedIn === session) armIdleLock(session);
      return ok(shape(answer.value));
    }
    log('console-call-refused', { error: answer.error.code });
    const failure: Result<never, ConsoleError> = refused(answer.error);
    if (answer.error.code === 'agent-session-invalid' && signedIn === session) await lock('session-expired');
    return failure;
  };
  const nothing = (): undefined => undefined;

  const handlers: ConsoleHandlers = {
    submitPin,
    signOut: async () => {
      if (signedIn === null) return ok(undefined);
      await lock('signed-out');
      // The next sign-in starts with the card going in again: whoever sits down next must insert their own card.
      await agentCard.release();
      return ok(undefined);
    },
    searchPeople: (q) =>
      withSession(
        (bearer) => issuer.route('agentPeople', { query: { q }, bearer }),
        (v) => v,
      ),
    suspendCredential: (serialNumberHex, note) =>
      withSession(
        (bearer) => issuer.route('agentSuspendCredential', { params: { serialNumberHex }, body: { note }, bearer }),
        nothing,
      ),
    resumeCredential: (serialNumberHex, note) =>
      withSession(
        (bearer) => issuer.route('agentResumeCredential', { params: { serialNumberHex }, body: { note }, bearer }),
        nothing,
      ),
    revokeCredential: (serialNumberHex, reason, note) =>
      withSession(
        (bearer) =>
          issuer.route('agentRevokeCredential', { params: { serialNumberHex }, body: { reason, note }, bearer }),
        (outcome) => (outcome.outcome === 'requested' ? 'sent-for-approval' : 'revoked'),
      ),
    terminatePerson: (cardId, reason, note) =>
      withSession(
        (bearer) => issuer.route('agentTerminatePerson', { params: { cardId }, body: { reason, note }, bearer }),
        (outcome) => (outcome.outcome === 'requested' ? 'sent-for-approval' : 'revoked'),
      ),
    revocationRequests: () =>
      withSession(
        (bearer) => issuer.route('agentRevocationRequests', { bearer }),
        (list) => list.requests,
      ),
    approveRevocation: (requestId, note) =>
      withSession(
        (bearer) => issuer.route('agentApproveRevocation', { params: { requestId }, body: { note }, bearer }),
        nothing,
      ),
    rejectRevocation: (requestId, note) =>
      withSession(
        (bearer) => issuer.route('agentRejectRevocation', { params: { requestId }, body: { note }, bearer }),
        nothing,
      ),
    affirmEnrollment: (enrollmentId, fingerprint, note) =>
      withSession(
        (bearer) =>
          issuer.route('agentAffirmEnrollment', { params: { enrollmentId }, body: { fingerprint, note }, bearer }),
        nothing,
      ),
    // An older page carries the issuer's cursor: the pages the agent views are one audited search, not one each.
    searchAudit: (filter, older) =>
      withSession(
        (bearer) =>
          issuer.route('agentAudit', {
            query: auditQueryOf(filter, older?.before ?? null, undefined, older?.cursor ?? undefined),
            bearer,
          }),
        (page) => page,
      ),
    exportAudit: async (filter, format) => {
      const collected = await collectAuditRows(filter, (query) =>
        withSession(
          (bearer) => issuer.route('agentAudit', { query, bearer }),
          (page) => page,
        ),
      );
      if (!collected.ok) return collected;
      log('console-audit-exported', { format, rows: collected.value.rows.length });
      return ok(auditExportFile(collected.value.rows, collected.value.truncated, format, new Date()));
    },
    // The one-time password passes through here to the agent's screen only: never logged, never in a pushed view.
    reissueCode: (enrollmentId, note) =>
      withSession(
        (bearer) => issuer.route('agentReissueCode', { params: { enrollmentId }, body: { note }, bearer }),
        (code) => ({
          enrollmentId: code.enrollmentId,
          qrPayload: code.qrPayload,
          otp: code.otp,
          expiresAt: new Date(now().getTime() + code.expiresIn * 1000).toISOString(),
        }),
      ),
  };

  return {
    handlers,
    onView: views.onView,
    // The controller owns the card port, as the kiosk's controller does: its PC/SC watcher stops with the console
    // (left running, it kept `dck agent --demo` alive after Ctrl-C, retrying a pcscd that had gone).
    stop: async () => {
      agentCard.stopWatching();
      if (signedIn !== null) await lock('signed-out');
      await agentCard.stop();
    },
  };
}
