// What the kiosk session needs from the issuer service (contracts/issuer-api.ts), as calls that resolve to data.
// `unreachable` covers everything that is not an answer from a working issuer: connection refused, TLS failure,
// timeout, a 5xx, a body that does not match the contract. Refusals the issuer meant are its own error codes, and so
// is its 503 storage-unavailable (its database is down): `issuerDown` below is true for both.
import type { Result } from '../../contracts/kiosk-api.ts';
import type { DevicePairing, EnrollmentCode, EnrollmentStatus, IssuerMetadata } from '../../contracts/issuer-api.ts';
import type { IssuerErrorCode } from '../../contracts/issuer-errors.ts';

export type IssuerCallError =
  | { readonly code: 'unreachable'; readonly detail: string }
  | { readonly code: IssuerErrorCode; readonly detail: string };

/**
 * Whether the call failed because the issuer cannot do its work now: out of reach, or its database down (503
 * `storage-unavailable`, the one server-side code kept). Both are worth trying again later; neither is a refusal.
 */
export function issuerDown(error: IssuerCallError): boolean {
  return error.code === 'unreachable' || error.code === 'storage-unavailable';
}

export type IssuerCall<T> = Promise<Result<T, IssuerCallError>>;

export interface IssuerChallenge {
  readonly challengeId: string;
  readonly challenge: Uint8Array;
}

export interface PkiAuthAnswer {
  readonly challengeId: string;
  readonly kioskNonce: Uint8Array;
  readonly certificateDer: Uint8Array;
  readonly signature: Uint8Array;
}

export interface KioskIssuerPort {
  metadata(signal?: AbortSignal): IssuerCall<IssuerMetadata>;
  challenge(signal?: AbortSignal): IssuerCall<IssuerChallenge>;
  /** PKI-AUTH step 2 (signature over pkiAuthMessage(challenge, kioskNonce)); resolves to the kiosk session token. */
  answerChallenge(
    answer: PkiAuthAnswer,
    signal?: AbortSignal,
  ): IssuerCall<{ readonly sessionToken: string; readonly commonName: string }>;
  /** Number matching: the phone behind a typed code (what it reported, its number), before approval. */
  showDevicePairing(sessionToken: string, userCode: string, signal?: AbortSignal): IssuerCall<DevicePairing>;
  /** "Not my phone": the shown phone's device authorization is denied. */
  denyDevicePairing(sessionToken: string, pairingId: string, signal?: AbortSignal): IssuerCall<null>;
  /** Approves the shown phone with the number the person confirmed. */
  approveUserCode(
    sessionToken: string,
    userCode: string,
    matchNumber: string,
    signal?: AbortSignal,
  ): IssuerCall<EnrollmentCode>;
  refreshEnrollment(sessionToken: string, enrollmentId: string, signal?: AbortSignal): IssuerCall<EnrollmentCode>;
  /** Long poll: answers when the state changes from `awaiting-phone` or after `waitSeconds`. */
  enrollmentStatus(
    sessionToken: string,
    enrollmentId: string,
    waitSeconds: number,
    signal?: AbortSignal,
  ): IssuerCall<EnrollmentStatus>;
}
