// How the issuer's answers translate into what the session shows. Kept apart from the controller so the mapping
// is one table a reviewer can read (and a test can walk).
import type { IssuerCallError } from '../issuer-client/issuer-port.ts';
import type { CardRefusedReason } from '../../contracts/kiosk-api.ts';
import type { EnrollmentStatus } from '../../contracts/issuer-api.ts';
import type {
  CompletionOutcome,
  DeviceDeniedOutcome,
  DeviceShownOutcome,
  IssuerDown,
  RenewOutcome,
  SignInOutcome,
  UserCodeOutcome,
} from './state.ts';

/** PKI-AUTH refusals that are about the card itself; anything else is treated as the issuer being unwell. */
const CARD_REFUSALS: Readonly<Partial<Record<IssuerCallError['code'], CardRefusedReason>>> = {
  'bad-signature': 'card-untrusted',
  'bad-certificate': 'card-untrusted',
  untrusted: 'card-untrusted',
  revoked: 'card-untrusted',
  'policy-missing': 'card-untrusted',
  'identity-missing': 'card-untrusted',
  expired: 'certificate-expired',
  'not-yet-valid': 'certificate-expired',
  'card-expired': 'certificate-expired',
};

/** Every failure that is no refusal of the issuer's: retried; the person is told it is busy when its storage is down. */
export function issuerDownOutcome(error: IssuerCallError): IssuerDown {
  return { kind: 'unreachable', busy: error.code === 'storage-unavailable' };
}

export function signInFailure(error: IssuerCallError): SignInOutcome {
  const reason = CARD_REFUSALS[error.code];
  return reason === undefined ? issuerDownOutcome(error) : { kind: 'refused', reason };
}

const USER_CODE_REFUSALS: Readonly<Partial<Record<IssuerCallError['code'], UserCodeOutcome>>> = {
  'user-code-invalid': { kind: 'rejected', error: 'bad-format' },
  'user-code-unknown': { kind: 'rejected', error: 'unknown-code' },
  'user-code-already-used': { kind: 'rejected', error: 'unknown-code' },
  'user-code-expired': { kind: 'rejected', error: 'expired-code' },
  'pairing-not-shown': { kind: 'rejected', error: 'unknown-code' },
  'pairing-number-mismatch': { kind: 'rejected', error: 'unknown-code' },
  'invalid-session': { kind: 'session-expired' },
  // The issuer ends what one sign-in may do (one phone per sign-in, wrong codes per card): sign in again.
  'session-approval-limit': { kind: 'session-expired' },
  'user-code-attempts-exhausted': { kind: 'session-expired' },
  // The card was re-checked at approval (issue #8): it is refused as at sign-in, never shown as an issuer fault.
  'card-revoked': { kind: 'card-refused', reason: 'card-untrusted' },
  'card-not-trusted': { kind: 'card-refused', reason: 'card-untrusted' },
  'card-expired': { kind: 'card-refused', reason: 'certificate-expired' },
  'card-expires-too-soon': { kind: 'card-refused', reason: 'certificate-expired' },
};

export function userCodeFailure(error: IssuerCallError): UserCodeOutcome {
  return USER_CODE_REFUSALS[error.code] ?? issuerDownOutcome(error);
}

/**
 * Showing the phone refuses a code as approving does. Approving after showing cannot meet a refusal of its own
 * (pairing-not-shown, pairing-number-mismatch) unless another sign-in showed the same code meanwhile: the person
 * is asked for the code again, as for a code already used.
 */
export function deviceShownFailure(error: IssuerCallError): DeviceShownOutcome {
  const outcome = USER_CODE_REFUSALS[error.code];
  if (outcome === undefined || outcome.kind === 'ok' || outcome.kind === 'card-refused')
    return issuerDownOutcome(error);
  return outcome;
}

export function deviceDeniedFailure(error: IssuerCallError): DeviceDeniedOutcome {
  if (error.code === 'invalid-session') return { kind: 'session-expired' };
  // Approved, expired or taken over by another sign-in meanwhile: there is nothing left to turn away here.
  if (error.code === 'pairing-unknown' || error.code === 'user-code-already-used' || error.code === 'user-code-expired')
    return { kind: 'gone' };
  return issuerDownOutcome(error);
}

export function renewFailure(error: IssuerCallError): RenewOutcome {
  return error.code === 'invalid-session' ? { kind: 'session-expired' } : issuerDownOutcome(error);
}

export function completionOf(status: EnrollmentStatus, nowIso: string): CompletionOutcome {
  const state = status.state;
  switch (state) {
    case 'completed':
      return { kind: 'completed', credentialExpiresAt: status.certificateNotAfter ?? null };
    case 'awaiting-phone':
      return { kind: 'pending', phoneSeen: status.phoneSeen === true, agentCheck: status.agentCheck ?? null };
    case 'burned':
      return { kind: 'dead', at: nowIso, why: 'too-many-tries' };
    case 'expired':
      return { kind: 'dead', at: nowIso, why: 'expired' };
    default: {
      const unexpected: never = state;
      return unexpected;
    }
  }
}

const DEAD_ENROLLMENT: ReadonlySet<IssuerCallError['code']> = new Set(['enrollment-unknown', 'enrollment-expired']);

export function completionFailure(error: IssuerCallError, nowIso: string): CompletionOutcome {
  if (error.code === 'enrollment-completed') return { kind: 'completed', credentialExpiresAt: null };
  if (error.code === 'enrollment-burned') return { kind: 'dead', at: nowIso, why: 'too-many-tries' };
  if (DEAD_ENROLLMENT.has(error.code)) return { kind: 'dead', at: nowIso, why: 'expired' };
  return issuerDownOutcome(error);
}
