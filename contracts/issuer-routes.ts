// The issuer's routes as one typed table: method, path, who may call (auth), the schemas of params, query, body
// and success body, and the error codes each route can answer with (their statuses and sentences are in
// issuer-errors.ts). The issuer registers its routes from this table and builds its OpenAPI document from it;
// the kiosk's issuer client, the phone and the test and bench clients call through it (issuer-caller.ts), so
// renaming a field or a route breaks every caller at compile time. KIOSK_INVOKE_CHANNELS is the model.
//
// Adding a route: one entry here, one rule function in issuer/ (no Fastify), one thin handler in issuer/routes/.
import Type from 'typebox';
import type { Static, TSchema } from 'typebox';
import {
  ApproveRequest,
  ChallengeAnswer,
  ChallengeRequest,
  ChallengeResponse,
  CredentialSerialParams,
  CredentialStatus,
  DeviceAuthorizationRequest,
  DeviceAuthorizationResponse,
  DevicePairing,
  DevicePairingIdParams,
  DevicePairingRequest,
  EnrollmentCode,
  EnrollmentIdParams,
  EnrollmentStatus,
  EnrollmentStatusQuery,
  IssuerMetadata,
  KioskHeartbeat,
  KioskSession,
  NoContent,
  PcEnrollmentRequest,
  PcEnrollmentResponse,
  PcRevocationRequest,
  PhoneEnrollment,
  RedeemRequest,
  RedeemResponse,
  TokenRequest,
  TokenResponse,
} from './issuer-api.ts';
import type { AnyIssuerErrorCode, IssuerErrorCode, OAuthErrorCode } from './issuer-errors.ts';
import {
  AffirmRequest,
  AgentCredentialChange,
  AgentKioskList,
  AgentNoteRequest,
  AgentRevocationOutcome,
  AgentRevokeRequest,
  AgentSession,
  AuditPage,
  AuditSearchQuery,
  CardIdParams,
  EnrollmentQueue,
  PersonLookup,
  PersonLookupQuery,
  RevocationRequestIdParams,
  RevocationRequestList,
  TenantSettingsChange,
  TenantSettingsView,
} from './agent-api.ts';

export type NonJsonMedia = 'text/event-stream' | 'application/pkix-crl' | 'application/ocsp-response';

/**
 * Who may call: anyone, a kiosk with a PKI-AUTH session token, a phone with its device access token, a help-desk
 * agent with an agent session token (its role is checked on every call: issuer/agent/agent-roles.ts).
 */
export type RouteAuth = 'none' | 'kiosk-session' | 'device-token' | 'agent-session';

interface RouteSpecBase {
  readonly method: 'GET' | 'POST';
  /** Placeholders are `:name`, filled from `params` (routePath). */
  readonly path: `/${string}`;
  readonly summary: string;
  readonly auth: RouteAuth;
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: TSchema;
  /**
   * `media`: the answer is not JSON. `text/event-stream`: server-sent events, each `data:` one success body;
   * `application/pkix-crl`, `application/ocsp-response`: DER bytes for relying parties (issuer/routes/revocation.ts).
   * Such routes have their own handler (registerRoute answers JSON only). 204: no body (NoContent).
   */
  readonly success: { readonly status: 200 | 201 | 204; readonly body: TSchema; readonly media?: NonJsonMedia };
}

/** Routes whose error answers are `{ error, message }` (IssuerError). */
export interface IssuerRouteSpec extends RouteSpecBase {
  readonly errorShape: 'issuer';
  /** What the route's rule can refuse with; the request-level codes (REQUEST_ERROR_CODES) come on top. */
  readonly errors: readonly IssuerErrorCode[];
}

/** The RFC 8628 endpoints: error answers are RFC 6749 `{ error, error_description, message }` (OAuthError). */
export interface OAuthRouteSpec extends RouteSpecBase {
  readonly errorShape: 'oauth';
  readonly errors: readonly OAuthErrorCode[];
}

export type RouteSpec = IssuerRouteSpec | OAuthRouteSpec;

/** What PKI-AUTH's certificate checks can refuse a card with (issuer/pki-auth/verify-card-authentication.ts). */
/** A kiosk's signed call (issuer/kiosks/kiosk-request.ts): what its x-dck-kiosk-signature header can be refused for. */
const KIOSK_SIGNATURE_CHECK_CODES = [
  'kiosk-unknown',
  'kiosk-revoked',
  'kiosk-signature-invalid',
  'kiosk-request-stale',
  'kiosk-request-replayed',
] as const;
/** …and, where the tenant's `kioskSignatures` is `required`, for being unsigned. */
export const KIOSK_SIGNATURE_ERROR_CODES = [...KIOSK_SIGNATURE_CHECK_CODES, 'kiosk-signature-required'] as const;

export const CARD_VERIFICATION_ERROR_CODES = [
  'bad-signature',
  'bad-certificate',
  'untrusted',
  'expired',
  'not-yet-valid',
  'revoked',
  'revocation-unavailable',
  'policy-missing',
  'identity-missing',
] as const satisfies readonly IssuerErrorCode[];

/** The card's re-check at approve and redeem (issuer/card-status.ts). */
const CARD_STATUS_ERROR_CODES = [
  'card-revoked',
  'card-status-unavailable',
  'card-not-trusted',
  'card-expired',
  'card-expires-too-soon',
] as const satisfies readonly IssuerErrorCode[];

/** Every agent route's caller checks: a live agent session, a role that allows the action. */
const AGENT_CALLER_ERROR_CODES = [
  'agent-session-invalid',
  'agent-forbidden',
] as const satisfies readonly IssuerErrorCode[];

/** What a credential's state change can be refused with (issuer/lifecycle/credential-state.ts). */
const CREDENTIAL_CHANGE_ERROR_CODES = [
  'agent-own-card',
  'credential-unknown',
  'credential-revoked',
  'credential-expired',
  'note-invalid',
] as const satisfies readonly IssuerErrorCode[];

/** Suspend and resume share one rule (issuer/agent/credential-actions.ts): each can meet the other's state. */
const SUSPENSION_ERROR_CODES = [
  'credential-suspended',
  'credential-not-suspended',
] as const satisfies readonly IssuerErrorCode[];

/** A credential serial as the agent routes take it: lower-case hex, as stored. */
const AgentSerialParams = CredentialSerialParams;

/** An issuer generation (issuer/lifecycle/issuer-generation.ts): 1, 2, … */
const CrlGenerationParams = Type.Object(
  { generation: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) },
  { additionalProperties: false },
);
/** An OCSP request by GET: base64 of its DER (the responder checks it and its size; a bad one is malformedRequest). */
const OcspGetParams = Type.Object({ request: Type.String({ minLength: 1 }) }, { additionalProperties: false });
/** A DER answer (CRL, OCSP response): bytes, described to OpenAPI as binary. */
const DerBytes = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' });

export const ISSUER_API = {
  metadata: {
    method: 'GET',
    path: '/.well-known/dck-issuer',
    auth: 'none',
    summary: 'Public facts about this issuer (display name, help URL, CA certificate)',
    success: { status: 200, body: IssuerMetadata },
    errorShape: 'issuer',
    errors: [],
  },
  deviceAuthorization: {
    method: 'POST',
    path: '/oauth/device_authorization',
    auth: 'none',
    summary: 'Phone: RFC 8628 §3.1 device authorization request (form-encoded or JSON)',
    body: DeviceAuthorizationRequest,
    success: { status: 200, body: DeviceAuthorizationResponse },
    errorShape: 'oauth',
    errors: ['invalid_client'],
  },
  token: {
    method: 'POST',
    path: '/oauth/token',
    auth: 'none',
    summary: 'Phone: RFC 8628 §3.4 device access token request, polled (form-encoded or JSON)',
    body: TokenRequest,
    success: { status: 200, body: TokenResponse },
    errorShape: 'oauth',
    errors: [
      'unsupported_grant_type',
      'invalid_client',
      'invalid_grant',
      'access_denied',
      'expired_token',
      'slow_down',
      'authorization_pending',
    ],
  },
  pkiAuthChallenge: {
    method: 'POST',
    path: '/pki-auth/challenge',
    auth: 'none',
    summary: 'Kiosk: PKI-AUTH step 1, a single-use challenge for the card to sign',
    body: ChallengeRequest,
    success: { status: 200, body: ChallengeResponse },
    errorShape: 'issuer',
    // Unsigned allowed whatever the tenant says: the agent console asks for its challenges here too.
    errors: KIOSK_SIGNATURE_CHECK_CODES,
  },
  pkiAuthResponse: {
    method: 'POST',
    path: '/pki-auth/response',
    auth: 'none',
    summary: "Kiosk: PKI-AUTH step 2, the card's certificate + signature over the challenge → kiosk session",
    body: ChallengeAnswer,
    success: { status: 200, body: KioskSession },
    errorShape: 'issuer',
    errors: [
      'challenge-unknown',
      'challenge-used',
      'challenge-expired',
      ...CARD_VERIFICATION_ERROR_CODES,
      ...KIOSK_SIGNATURE_ERROR_CODES,
    ],
  },
  devicePairings: {
    method: 'POST',
    path: '/device-pairings',
    auth: 'kiosk-session',
    // Number matching (RFC 8628 §5.4): shown before anything is approved; a user_code guess like approve's.
    summary: 'Kiosk: the phone behind a user_code (what it reported, the number it shows), before approval',
    body: DevicePairingRequest,
    success: { status: 200, body: DevicePairing },
    errorShape: 'issuer',
    errors: [
      'invalid-session',
      'user-code-invalid',
      'user-code-attempts-exhausted',
      'user-code-unknown',
      'user-code-already-used',
      'user-code-expired',
    ],
  },
  devicePairingDeny: {
    method: 'POST',
    path: '/device-pairings/:pairingId/deny',
    auth: 'kiosk-session',
    summary: 'Kiosk: "not my phone": the shown phone\'s device authorization is denied',
    params: DevicePairingIdParams,
    success: { status: 204, body: NoContent },
    errorShape: 'issuer',
    errors: ['invalid-session', 'pairing-unknown', 'user-code-already-used', 'user-code-expired'],
  },
  approveUserCode: {
    method: 'POST',
    path: '/enrollments',
    auth: 'kiosk-session',
    summary: "Kiosk: approve the phone's user_code for the signed-in card; creates the enrollment (QR + OTP)",
    body: ApproveRequest,
    success: { status: 201, body: EnrollmentCode },
    errorShape: 'issuer',
    errors: [
      'invalid-session',
      'user-code-invalid',
      'user-code-attempts-exhausted',
      'user-code-unknown',
      'user-code-already-used',
      'user-code-expired',
      'pairing-not-shown',
      'pairing-number-mismatch',
      'session-approval-limit',
      'identity-missing',
      ...CARD_STATUS_ERROR_CODES,
      ...KIOSK_SIGNATURE_ERROR_CODES,
      'kiosk-session-mismatch',
    ],
  },
  refreshEnrollment: {
    method: 'POST',
    path: '/enrollments/:enrollmentId/refresh',
    auth: 'kiosk-session',
    summary: 'Kiosk: a fresh QR payload + OTP for the enrollment (the old OTP stops working)',
    params: EnrollmentIdParams,
    success: { status: 200, body: EnrollmentCode },
    errorShape: 'issuer',
    errors: [
      'invalid-session',
      'enrollment-unknown',
      'enrollment-burned',
      'card-revoked',
      'enrollment-completed',
      ...KIOSK_SIGNATURE_ERROR_CODES,
      'kiosk-session-mismatch',
    ],
  },
  enrollmentStatus: {
    method: 'GET',
    path: '/enrollments/:enrollmentId/status',
    auth: 'kiosk-session',
    summary: "Kiosk: the enrollment's state; long-polls up to waitSeconds while the state equals `since`",
    params: EnrollmentIdParams,
    query: EnrollmentStatusQuery,
    success: { status: 200, body: EnrollmentStatus },
    errorShape: 'issuer',
    errors: ['invalid-session', 'enrollment-unknown'],
  },
  enrollmentEvents: {
    method: 'GET',
    path: '/enrollments/:enrollmentId/events',
    auth: 'kiosk-session',
    summary: 'Kiosk: server-sent events (`event: status`, data = EnrollmentStatus) on every state change',
    params: EnrollmentIdParams,
    success: { status: 200, body: EnrollmentStatus, media: 'text/event-stream' },
    errorShape: 'issuer',
    errors: ['invalid-session', 'enrollment-unknown'],
  },
  enrollmentForPhone: {
    method: 'GET',
    path: '/enrollments/:enrollmentId',
    auth: 'device-token',
    summary: 'Phone, after scanning: the enrollment it holds (the kiosk learns the phone has scanned)',
    params: EnrollmentIdParams,
    success: { status: 200, body: PhoneEnrollment },
    errorShape: 'issuer',
    errors: ['invalid-token', 'enrollment-unknown', 'wrong-device'],
  },
  redeemEnrollment: {
    method: 'POST',
    path: '/enrollments/:enrollmentId/redeem',
    auth: 'device-token',
    summary: 'Phone: OTP + CSR → derived PIV Authentication certificate and chain',
    params: EnrollmentIdParams,
    body: RedeemRequest,
    success: { status: 200, body: RedeemResponse },
    errorShape: 'issuer',
    errors: [
      'invalid-token',
      'enrollment-unknown',
      'wrong-device',
      'enrollment-burned',
      'enrollment-completed',
      'otp-expired',
      'otp-wrong',
      'csr-invalid',
      'csr-bad-signature',
      'csr-weak-key',
      'identity-missing',
      ...CARD_STATUS_ERROR_CODES,
      'ca-unavailable',
      'issuer-replaced',
      'affirmation-pending',
    ],
  },
  pcEnrollment: {
    method: 'POST',
    path: '/pc-enrollments',
    auth: 'kiosk-session',
    summary:
      'This PC (dck pc): a card sign-in authorizes one device: its CSR + key protection → derived PIV Authentication certificate',
    body: PcEnrollmentRequest,
    success: { status: 200, body: PcEnrollmentResponse },
    errorShape: 'issuer',
    errors: [
      'invalid-session',
      'session-approval-limit',
      'software-key-refused',
      'csr-invalid',
      'csr-bad-signature',
      'csr-weak-key',
      'identity-missing',
      ...CARD_STATUS_ERROR_CODES,
      'ca-unavailable',
      'issuer-replaced',
    ],
  },
  pcRevocation: {
    method: 'POST',
    path: '/pc-credentials/:serialNumberHex/revoke',
    // No bearer: the credential's own key signs a fresh challenge (contracts/pc-revocation-message.ts).
    auth: 'none',
    summary: "This PC (dck pc): revoke the PC's derived credential, signed by that credential's own key",
    params: CredentialSerialParams,
    body: PcRevocationRequest,
    success: { status: 200, body: CredentialStatus },
    errorShape: 'issuer',
    errors: [
      'challenge-unknown',
      'challenge-used',
      'challenge-expired',
      'credential-unknown',
      'device-signature-invalid',
      'credential-not-active',
    ],
  },
  kioskHeartbeat: {
    method: 'POST',
    path: '/kiosks/heartbeat',
    // Not a bearer: the body is signed with the kiosk's registered key (contracts/kiosk-heartbeat.ts).
    auth: 'none',
    summary: "Kiosk: its signed heartbeat (reader and card-service state, recent error codes); the issuer's last-seen",
    body: KioskHeartbeat,
    success: { status: 204, body: NoContent },
    errorShape: 'issuer',
    errors: [
      'kiosk-unknown',
      'kiosk-revoked',
      'kiosk-signature-invalid',
      'kiosk-request-stale',
      'kiosk-request-replayed',
    ],
  },
  credentialStatus: {
    method: 'GET',
    path: '/credentials/:serialNumberHex/status',
    auth: 'none',
    // Unauthenticated: it tells no more than the certificate itself and an OCSP answer (RFC 6960) would.
    summary:
      'Phone ("app" notification channel): a derived credential\'s state and renewal date, by certificate serial',
    params: CredentialSerialParams,
    success: { status: 200, body: CredentialStatus },
    errorShape: 'issuer',
    errors: ['not-found'],
  },
  derivedCrl: {
    method: 'GET',
    path: '/revocation/crl/:generation',
    auth: 'none',
    summary:
      "Relying parties: the CRL (RFC 5280, DER) of one issuer generation's derived certificates; each names its own",
    params: CrlGenerationParams,
    success: { status: 200, body: DerBytes, media: 'application/pkix-crl' },
    errorShape: 'issuer',
    errors: ['crl-unknown', 'crl-unavailable'],
  },
  ocsp: {
    method: 'POST',
    path: '/revocation/ocsp',
    auth: 'none',
    // Bad input (wrong media type, too large, not an OCSP request) is answered in OCSP's own terms: 200 with
    // malformedRequest (RFC 6960 §2.3), so the request-level error codes do not apply (answerableErrorCodes).
    summary: 'Relying parties: OCSP (RFC 6960) for the derived certificates; POST application/ocsp-request',
    success: { status: 200, body: DerBytes, media: 'application/ocsp-response' },
    errorShape: 'issuer',
    errors: [],
  },
  ocspGet: {
    method: 'GET',
    path: '/revocation/ocsp/:request',
    auth: 'none',
    params: OcspGetParams,
    // RFC 6960 A.1: the request is the path, base64 of the DER OCSPRequest, percent-encoded. Bad or oversized ones
    // are answered malformedRequest like the POST form; a path too long for the router is not-found (404).
    summary: 'Relying parties: OCSP (RFC 6960 A.1) by GET; the path is the percent-encoded base64 of the request',
    success: { status: 200, body: DerBytes, media: 'application/ocsp-response' },
    errorShape: 'issuer',
    errors: ['not-found'],
  },
  agentSignIn: {
    method: 'POST',
    path: '/agent/sign-in',
    auth: 'none',
    summary:
      "Agent console: PKI-AUTH step 2 with the agent's own card (challenge from /pki-auth/challenge) → agent session",
    body: ChallengeAnswer,
    success: { status: 200, body: AgentSession },
    errorShape: 'issuer',
    errors: [
      'challenge-unknown',
      'challenge-used',
      'challenge-expired',
      ...CARD_VERIFICATION_ERROR_CODES,
      'agent-role-missing',
    ],
  },
  agentSignOut: {
    method: 'POST',
    path: '/agent/sign-out',
    auth: 'agent-session',
    summary: "Agent console: end the agent session (the console does so when the agent's card leaves the reader)",
    success: { status: 204, body: NoContent },
    errorShape: 'issuer',
    errors: ['agent-session-invalid'],
  },
  agentPeople: {
    method: 'GET',
    path: '/agent/people',
    auth: 'agent-session',
    summary: 'Agent console: look a person up by name, card UUID, FASC-N or certificate serial',
    query: PersonLookupQuery,
    success: { status: 200, body: PersonLookup },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES, 'search-invalid'],
  },
  agentSuspendCredential: {
    method: 'POST',
    path: '/agent/credentials/:serialNumberHex/suspend',
    auth: 'agent-session',
    summary: 'Agent console: suspend a derived credential (certificateHold), with a note',
    params: AgentSerialParams,
    body: AgentNoteRequest,
    success: { status: 200, body: AgentCredentialChange },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES, ...CREDENTIAL_CHANGE_ERROR_CODES, ...SUSPENSION_ERROR_CODES],
  },
  agentResumeCredential: {
    method: 'POST',
    path: '/agent/credentials/:serialNumberHex/resume',
    auth: 'agent-session',
    summary: 'Agent console: lift a suspension, with a note',
    params: AgentSerialParams,
    body: AgentNoteRequest,
    success: { status: 200, body: AgentCredentialChange },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES, ...CREDENTIAL_CHANGE_ERROR_CODES, ...SUSPENSION_ERROR_CODES],
  },
  agentRevokeCredential: {
    method: 'POST',
    path: '/agent/credentials/:serialNumberHex/revoke',
    auth: 'agent-session',
    summary:
      'Agent console: revoke a derived credential (RFC 5280 reason + note); under four eyes, a request for an approver',
    params: AgentSerialParams,
    body: AgentRevokeRequest,
    success: { status: 200, body: AgentRevocationOutcome },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES, ...CREDENTIAL_CHANGE_ERROR_CODES, 'revocation-reason-invalid'],
  },
  agentTerminatePerson: {
    method: 'POST',
    path: '/agent/people/:cardId/terminate',
    auth: 'agent-session',
    summary:
      "Agent console: a leaver: revoke every derived credential of the person's card; under four eyes, a request",
    params: CardIdParams,
    body: AgentRevokeRequest,
    success: { status: 200, body: AgentRevocationOutcome },
    errorShape: 'issuer',
    errors: [
      ...AGENT_CALLER_ERROR_CODES,
      'card-unknown',
      'agent-own-card',
      'revocation-reason-invalid',
      'note-invalid',
    ],
  },
  agentRevocationRequests: {
    method: 'GET',
    path: '/agent/revocation-requests',
    auth: 'agent-session',
    summary: 'Agent console: the four-eyes revocation requests waiting for an approver, oldest first',
    success: { status: 200, body: RevocationRequestList },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES],
  },
  agentApproveRevocation: {
    method: 'POST',
    path: '/agent/revocation-requests/:requestId/approve',
    auth: 'agent-session',
    summary: 'Agent console (approver): approve a revocation request of another agent: the revocation happens now',
    params: RevocationRequestIdParams,
    body: AgentNoteRequest,
    success: { status: 200, body: AgentRevocationOutcome },
    errorShape: 'issuer',
    errors: [
      ...AGENT_CALLER_ERROR_CODES,
      'revocation-request-unknown',
      'revocation-request-decided',
      'agent-same-requester',
      'agent-own-card',
      'note-invalid',
    ],
  },
  agentRejectRevocation: {
    method: 'POST',
    path: '/agent/revocation-requests/:requestId/reject',
    auth: 'agent-session',
    summary: 'Agent console (approver): reject a revocation request of another agent; nothing is revoked',
    params: RevocationRequestIdParams,
    body: AgentNoteRequest,
    success: { status: 204, body: NoContent },
    errorShape: 'issuer',
    errors: [
      ...AGENT_CALLER_ERROR_CODES,
      'revocation-request-unknown',
      'revocation-request-decided',
      'agent-same-requester',
      'agent-own-card',
      'note-invalid',
    ],
  },
  agentReissueCode: {
    method: 'POST',
    path: '/agent/enrollments/:enrollmentId/reissue',
    auth: 'agent-session',
    summary: "Agent console: a new one-time password (and the QR payload) for a person's waiting enrollment",
    params: EnrollmentIdParams,
    body: AgentNoteRequest,
    success: { status: 200, body: EnrollmentCode },
    errorShape: 'issuer',
    errors: [
      ...AGENT_CALLER_ERROR_CODES,
      'agent-own-card',
      'enrollment-unknown',
      'enrollment-burned',
      'enrollment-completed',
      'card-revoked',
      'note-invalid',
    ],
  },
  agentAffirmEnrollment: {
    method: 'POST',
    path: '/agent/enrollments/:enrollmentId/affirm',
    auth: 'agent-session',
    summary: "Agent console (supervised issuance): affirm the phone's key fingerprint; the phone's next redeem issues",
    params: EnrollmentIdParams,
    body: AffirmRequest,
    success: { status: 204, body: NoContent },
    errorShape: 'issuer',
    errors: [
      ...AGENT_CALLER_ERROR_CODES,
      'agent-own-card',
      'enrollment-unknown',
      'enrollment-burned',
      'enrollment-completed',
      'card-revoked',
      'affirmation-not-requested',
      'affirmation-mismatch',
      'affirmation-done',
      'note-invalid',
    ],
  },
  adminTenantSettings: {
    method: 'GET',
    path: '/admin/tenant-settings',
    auth: 'agent-session',
    summary: "Admin (an agent with the admin role): the tenant's settings",
    success: { status: 200, body: TenantSettingsView },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES],
  },
  adminChangeTenantSettings: {
    method: 'POST',
    path: '/admin/tenant-settings',
    auth: 'agent-session',
    summary: 'Admin (an agent with the admin role): change tenant settings, all or none, audited → the settings',
    body: TenantSettingsChange,
    success: { status: 200, body: TenantSettingsView },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES, 'tenant-setting-invalid'],
  },
  agentQueue: {
    method: 'GET',
    path: '/agent/queue',
    auth: 'agent-session',
    summary: 'Agent console: enrollments in progress at every kiosk (person, kiosk, step, age, device)',
    success: { status: 200, body: EnrollmentQueue },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES],
  },
  agentAudit: {
    method: 'GET',
    path: '/agent/audit',
    auth: 'agent-session',
    summary: 'Agent console (auditor, admin): the audit log, newest first, filtered, one page (cursor `before`)',
    query: AuditSearchQuery,
    success: { status: 200, body: AuditPage },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES, 'audit-filter-invalid'],
  },
  agentKiosks: {
    method: 'GET',
    path: '/agent/kiosks',
    auth: 'agent-session',
    summary: 'Agent console: every kiosk with last seen, reader and card-service state, problems first',
    success: { status: 200, body: AgentKioskList },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES],
  },
  agentQueueEvents: {
    method: 'GET',
    path: '/agent/queue/events',
    auth: 'agent-session',
    summary: 'Agent console: server-sent events (`event: queue`, data = EnrollmentQueue) whenever the queue changes',
    success: { status: 200, body: EnrollmentQueue, media: 'text/event-stream' },
    errorShape: 'issuer',
    errors: [...AGENT_CALLER_ERROR_CODES],
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ISSUER_API;
type Route<N extends RouteName> = (typeof ISSUER_API)[N];
type SchemaOf<R, K extends string> = R extends Record<K, infer S extends TSchema> ? Static<S> : undefined;

export type RouteParams<N extends RouteName> = SchemaOf<Route<N>, 'params'>;
export type RouteQuery<N extends RouteName> = SchemaOf<Route<N>, 'query'>;
export type RouteBody<N extends RouteName> = SchemaOf<Route<N>, 'body'>;
export type RouteSuccess<N extends RouteName> = Static<Route<N>['success']['body']>;

/**
 * Codes any route can answer with before or beside its rule: a body or params the schemas refuse, a body too
 * large or of another media type (POST only: Fastify reads no body on GET), too many requests (every route is
 * counted per address), an unexpected failure, the database out of reach.
 */
const REQUEST_ERROR_CODES = {
  issuer: { malformed: 'bad-request', rateLimited: 'rate-limited' },
  oauth: { malformed: 'invalid_request', rateLimited: 'rate_limited' },
} as const;
/** Sent in the issuer's shape on every route, the OAuth ones included (as RFC 6749 says nothing of them). */
const BODY_ERROR_CODES = ['payload-too-large', 'unsupported-media-type'] as const;

type RequestErrorCode<R extends RouteSpec> =
  | (typeof REQUEST_ERROR_CODES)[R['errorShape']][keyof (typeof REQUEST_ERROR_CODES)['issuer']]
  | (typeof BODY_ERROR_CODES)[number]
  | 'internal-error'
  | 'storage-unavailable';

/** Every code route N can answer with: its rule's, then the request-level ones. */
export type RouteErrorCode<N extends RouteName> = Route<N>['errors'][number] | RequestErrorCode<Route<N>>;
/**
 * What route N's rule may refuse with: its own codes, being rate-limited (the code-guess limits), and the route's
 * malformed-request code, for a check the schema cannot make (a phone's device report that a kiosk cannot show).
 */
export type RouteRefusalCode<N extends RouteName> =
  Route<N>['errors'][number] | (typeof REQUEST_ERROR_CODES)[Route<N>['errorShape']]['rateLimited' | 'malformed'];

/** The runtime list of RouteErrorCode: what the OpenAPI document and the server's error handler use. */
export function answerableErrorCodes(route: RouteSpec): readonly AnyIssuerErrorCode[] {
  const request = REQUEST_ERROR_CODES[route.errorShape];
  if (route.success.media === 'application/ocsp-response') return [...route.errors, request.rateLimited];
  const takesInput = route.method === 'POST' || route.params !== undefined || route.query !== undefined;
  return [
    ...route.errors,
    ...(takesInput ? [request.malformed] : []),
    ...(route.method === 'POST' ? BODY_ERROR_CODES : []),
    request.rateLimited,
    'internal-error',
    // The database is down or restarting (PostgreSQL): the request changed nothing and can be sent again.
    'storage-unavailable',
  ];
}

/** The path of route N with its `:placeholders` filled, each value URL-encoded. */
export function routePath<N extends RouteName>(name: N, params: RouteParams<N>): string {
  const values: Readonly<Record<string, string>> = params ?? {};
  return ISSUER_API[name].path.replace(/:([A-Za-z]+)/g, (_match, key: string) => encodeURIComponent(values[key] ?? ''));
}

/** Paths outside the JSON API: the OpenAPI document itself, the device page, and operations (issuer/operations/). */
export const OPERATIONS_PATHS = {
  openApi: '/openapi.json',
  devicePage: '/device',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
} as const;
