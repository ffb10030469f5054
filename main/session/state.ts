// Types of the kiosk session state machine: its state, the events it reacts to and the effects it asks for.
// The machine is pure (see reducer.ts); the controller turns effects into card/issuer/timer work and feeds the
// outcomes back as events. No PIN ever appears in any of these types: `pin-submitted` carries only the
// confirmation flag, the controller holds the PIN bytes for the one `verify-pin` effect it answers.
import type { DeviceDescription } from '../../contracts/issuer-api.ts';
import type {
  CardRefusedReason,
  EnrollmentStopped,
  KioskAgentCheck,
  KioskErrorCode,
  UserCodeError,
} from '../../contracts/kiosk-api.ts';

/** A number the controller gives each card insertion; results for an older insertion are ignored. */
export type SessionId = number;

export type ReadersStatus = 'none' | 'ready' | 'service-down';

/** What the kiosk knows about its surroundings (shown on the welcome screen). */
export interface Environment {
  readonly readers: ReadersStatus;
  readonly issuer: 'reachable' | 'unreachable';
  readonly virtualCardAvailable: boolean;
}

/** The issuer's kiosk session (from PKI-AUTH). The token is a bearer secret of the issuer, not the person's. */
export interface IssuerSession {
  readonly token: string;
}

/** The QR/OTP pair the person scans. Lives only in the 'enrollment' phase (and what waits to retry it). */
export interface Enrollment {
  readonly enrollmentId: string;
  readonly qrPayload: string;
  readonly otp: string;
  /** ISO 8601 */
  readonly expiresAt: string;
}

/** The phone behind a typed code, as the issuer showed it (number matching). Text fields come from the phone. */
export interface ShownDevice {
  readonly pairingId: string;
  readonly device: DeviceDescription;
  readonly matchNumber: string;
}

/** An issuer call that failed because the issuer could not be reached, kept so it can be retried. */
export type RetryOperation =
  | { readonly op: 'sign-in' }
  | { readonly op: 'show-device'; readonly issuerSession: IssuerSession; readonly userCode: string }
  | {
      readonly op: 'approve-device';
      readonly issuerSession: IssuerSession;
      readonly userCode: string;
      readonly shown: ShownDevice;
    }
  | {
      readonly op: 'deny-device';
      readonly issuerSession: IssuerSession;
      readonly userCode: string;
      readonly shown: ShownDevice;
    }
  | { readonly op: 'renew'; readonly issuerSession: IssuerSession; readonly enrollment: Enrollment };

export type Phase =
  /**
   * `cardInReader`: a finished/refused/cancelled card still inserted ("Take your card out"); it is not read again
   * until removed. `cardWaiting`: a card inserted while the kiosk was out of order; read as soon as it works.
   */
  | { readonly kind: 'welcome'; readonly cardInReader: SessionId | null; readonly cardWaiting: SessionId | null }
  | { readonly kind: 'reading-card'; readonly sessionId: SessionId }
  | { readonly kind: 'card-refused'; readonly sessionId: SessionId; readonly reason: CardRefusedReason }
  | {
      readonly kind: 'pin';
      readonly sessionId: SessionId;
      readonly holderName: string;
      readonly triesLeft: number | null;
      readonly lastAttempt: 'none' | 'wrong' | 'signed-out';
      /** entering: waiting for the person; verifying: VERIFY running; signing-in: PKI-AUTH running. */
      readonly step: 'entering' | 'verifying' | 'signing-in';
    }
  | { readonly kind: 'pin-blocked'; readonly sessionId: SessionId }
  | {
      readonly kind: 'user-code';
      readonly sessionId: SessionId;
      readonly holderName: string;
      readonly issuerSession: IssuerSession;
      readonly error: UserCodeError;
      /** The normalised code the issuer is checking right now; null while the person types. */
      readonly checking: string | null;
    }
  | {
      /** Number matching: the phone behind the code and its number; the person confirms or says "not my phone". */
      readonly kind: 'confirm-device';
      readonly sessionId: SessionId;
      readonly holderName: string;
      readonly issuerSession: IssuerSession;
      readonly userCode: string;
      readonly shown: ShownDevice;
      /** null: waiting for the person; approving / denying: that issuer call is running. */
      readonly answering: 'approving' | 'denying' | null;
    }
  | {
      readonly kind: 'enrollment';
      readonly sessionId: SessionId;
      readonly holderName: string;
      readonly issuerSession: IssuerSession;
      readonly enrollment: Enrollment;
      readonly renewing: boolean;
      /** The phone has shown it holds the QR code (a password try reached the issuer). */
      readonly phoneSeen: boolean;
      /** Supervised issuance: the phone's key waits for (or has) a help-desk agent's affirmation. */
      readonly agentCheck: KioskAgentCheck | null;
      /**
       * Set when the issuer said the QR/OTP died before their time (burned) or after it (expired, or not-affirmed:
       * expired while the phone's key waited for an agent).
       */
      readonly stopped: EnrollmentStopped | null;
    }
  | {
      readonly kind: 'done';
      readonly sessionId: SessionId;
      readonly holderName: string;
      readonly credentialExpiresAt: string | null;
    }
  | {
      readonly kind: 'issuer-unreachable';
      readonly sessionId: SessionId;
      readonly holderName: string;
      readonly triesLeft: number | null;
      readonly retry: RetryOperation;
      /** The issuer's last answer was that it is busy (its database down), not that it could not be reached. */
      readonly busy: boolean;
      /** Automatic retries made so far. */
      readonly attempts: number;
      /** counting: seconds until the next try; retrying: the call is running; gave-up: only cancel/removal helps. */
      readonly countdown:
        | { readonly kind: 'counting'; readonly secondsLeft: number }
        | { readonly kind: 'retrying' }
        | { readonly kind: 'gave-up' };
    }
  | { readonly kind: 'still-there'; readonly secondsLeft: number; readonly paused: ActivePhase };

/** Every phase in which a card session is running. */
export type ActivePhase = Exclude<Phase, { kind: 'welcome' } | { kind: 'still-there' }>;

export interface SessionState {
  readonly env: Environment;
  readonly phase: Phase;
}

export interface SessionConfig {
  /** Idle time before "Still there?". */
  readonly idleSeconds: number;
  /** Length of the "Still there?" countdown. */
  readonly warningSeconds: number;
  /** How long "You're all set" stays before the welcome screen. */
  readonly doneSeconds: number;
  /** Delay before each automatic retry of an unreachable issuer; its length is the number of retries. */
  readonly retryDelaysSeconds: readonly number[];
  /** Pause before asking again when waiting for the phone failed. */
  readonly completionRetrySeconds: number;
}

export type TimerName = 'idle' | 'warning-tick' | 'retry-tick' | 'done' | 'completion-retry';

// ── events ────────────────────────────────────────────────────────────────────────────────────────────────

export type CardReadOutcome =
  | { readonly kind: 'ok'; readonly holderName: string; readonly triesLeft: number | null }
  | { readonly kind: 'refused'; readonly reason: CardRefusedReason };

export type PinOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'wrong'; readonly triesLeft: number | null }
  | { readonly kind: 'blocked' }
  | { readonly kind: 'card-error' };

/**
 * The issuer could not do the call: out of reach, or `busy` (it answered that its database is down, 503
 * storage-unavailable). Either way the call is retried; `busy` only changes what the person is told.
 */
export interface IssuerDown {
  readonly kind: 'unreachable';
  readonly busy: boolean;
}

export type SignInOutcome =
  | { readonly kind: 'ok'; readonly issuerSession: IssuerSession }
  | { readonly kind: 'refused'; readonly reason: CardRefusedReason }
  /** The card no longer holds a verified PIN (e.g. it was reset): ask for it again. */
  | { readonly kind: 'pin-needed' }
  | IssuerDown;

/** A refused code, as the person is told on the code screen. */
export type UserCodeRejection = 'unknown-code' | 'expired-code' | 'bad-format';

/** The issuer's answer to a typed code: the phone to show (number matching). */
export type DeviceShownOutcome =
  | { readonly kind: 'ok'; readonly shown: ShownDevice }
  | { readonly kind: 'rejected'; readonly error: UserCodeRejection }
  | { readonly kind: 'session-expired' }
  | IssuerDown;

/** The issuer's answer to "not my phone". */
export type DeviceDeniedOutcome =
  | { readonly kind: 'ok' }
  /** The phone was approved, denied or expired meanwhile: nothing more to deny. */
  | { readonly kind: 'gone' }
  | { readonly kind: 'session-expired' }
  | IssuerDown;

/** The issuer's answer to approving the confirmed phone. */
export type UserCodeOutcome =
  | { readonly kind: 'ok'; readonly enrollment: Enrollment }
  | { readonly kind: 'rejected'; readonly error: UserCodeRejection }
  | { readonly kind: 'session-expired' }
  /** The issuer re-checked the card at approval and it no longer qualifies (revoked, expired, untrusted). */
  | { readonly kind: 'card-refused'; readonly reason: CardRefusedReason }
  | IssuerDown;

export type RenewOutcome =
  { readonly kind: 'ok'; readonly enrollment: Enrollment } | { readonly kind: 'session-expired' } | IssuerDown;

export type CompletionOutcome =
  /** `credentialExpiresAt`: the derived certificate's notAfter (ISO 8601), when the issuer said. */
  | { readonly kind: 'completed'; readonly credentialExpiresAt: string | null }
  /** Still waiting for the phone (the long poll ended, or the phone was seen): ask again. */
  | { readonly kind: 'pending'; readonly phoneSeen: boolean; readonly agentCheck: KioskAgentCheck | null }
  /** The QR/OTP died (expired or too many wrong OTPs) at `at` (ISO 8601): the person can ask for a new one. */
  | { readonly kind: 'dead'; readonly at: string; readonly why: 'expired' | 'too-many-tries' }
  | IssuerDown;

export type SessionEvent =
  // surroundings
  | { readonly type: 'readers-changed'; readonly readers: ReadersStatus }
  | { readonly type: 'issuer-status'; readonly issuer: 'reachable' | 'unreachable' }
  | { readonly type: 'virtual-card-availability'; readonly available: boolean }
  // card presence
  | { readonly type: 'card-inserted'; readonly sessionId: SessionId }
  | { readonly type: 'card-removed'; readonly sessionId: SessionId }
  // outcomes of effects
  | { readonly type: 'card-read'; readonly sessionId: SessionId; readonly outcome: CardReadOutcome }
  | { readonly type: 'pin-verified'; readonly sessionId: SessionId; readonly outcome: PinOutcome }
  | { readonly type: 'signed-in'; readonly sessionId: SessionId; readonly outcome: SignInOutcome }
  | { readonly type: 'device-shown'; readonly sessionId: SessionId; readonly outcome: DeviceShownOutcome }
  | { readonly type: 'device-denied'; readonly sessionId: SessionId; readonly outcome: DeviceDeniedOutcome }
  | { readonly type: 'user-code-checked'; readonly sessionId: SessionId; readonly outcome: UserCodeOutcome }
  | { readonly type: 'renewed'; readonly sessionId: SessionId; readonly outcome: RenewOutcome }
  | {
      readonly type: 'completion';
      readonly sessionId: SessionId;
      readonly enrollmentId: string;
      readonly outcome: CompletionOutcome;
    }
  | { readonly type: 'timer-fired'; readonly timer: TimerName }
  // the person (renderer calls)
  | { readonly type: 'pin-submitted'; readonly confirmLastTry: boolean }
  | { readonly type: 'user-code-submitted'; readonly code: string }
  | { readonly type: 'device-confirmed' }
  | { readonly type: 'device-refused' }
  | { readonly type: 'renew-requested' }
  | { readonly type: 'cancel' }
  | { readonly type: 'still-here' }
  | { readonly type: 'activity' }
  | { readonly type: 'use-virtual-card' };

// ── effects ───────────────────────────────────────────────────────────────────────────────────────────────

export type SessionEffect =
  | { readonly type: 'read-card'; readonly sessionId: SessionId }
  /** The controller pairs this with the PIN bytes of the `submitPin` call that caused it. */
  | { readonly type: 'verify-pin'; readonly sessionId: SessionId }
  | { readonly type: 'sign-in'; readonly sessionId: SessionId }
  | {
      readonly type: 'show-device';
      readonly sessionId: SessionId;
      readonly issuerSession: IssuerSession;
      readonly userCode: string;
    }
  | {
      readonly type: 'approve-user-code';
      readonly sessionId: SessionId;
      readonly issuerSession: IssuerSession;
      readonly userCode: string;
      /** The number the person confirmed matches their phone's. */
      readonly matchNumber: string;
    }
  | {
      readonly type: 'deny-device';
      readonly sessionId: SessionId;
      readonly issuerSession: IssuerSession;
      readonly pairingId: string;
    }
  | {
      readonly type: 'renew-enrollment';
      readonly sessionId: SessionId;
      readonly issuerSession: IssuerSession;
      readonly enrollmentId: string;
    }
  | {
      readonly type: 'wait-for-completion';
      readonly sessionId: SessionId;
      readonly issuerSession: IssuerSession;
      readonly enrollmentId: string;
    }
  | { readonly type: 'start-timer'; readonly timer: TimerName; readonly seconds: number }
  | { readonly type: 'cancel-timer'; readonly timer: TimerName }
  /** Abort the session's running work, forget its card data and drop its timers. */
  | { readonly type: 'end-session'; readonly sessionId: SessionId }
  | { readonly type: 'insert-virtual-card' };

export interface Transition {
  readonly state: SessionState;
  readonly effects: readonly SessionEffect[];
  /** Set when the event was a renderer call the machine refused; the state is then unchanged. */
  readonly refusal?: KioskErrorCode;
}
