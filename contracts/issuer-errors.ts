// Every error the issuer can answer with: its code, its HTTP status and the one English sentence that explains it.
// One table (as smallstep's acme/errors.go errorMap), checked complete by the compiler: a route names only the
// code; the status and the sentence come from here. The route table (issuer-routes.ts) lists which codes each
// route can send, so the OpenAPI document lists exactly the statuses each route can answer with.
// No schema library here: the kiosk, the phone and the issuer all import it.

/** Every error code of the issuer's own routes (outside the RFC 8628 endpoints' OAuth codes). */
export const ISSUER_ERROR_CODES = [
  // generic request problems
  'bad-request',
  'payload-too-large',
  'unsupported-media-type',
  'not-found',
  'rate-limited',
  'internal-error',
  'storage-unavailable',
  // bearer tokens
  'invalid-session',
  'invalid-token',
  // kiosk identity (issuer/kiosks/)
  'kiosk-unknown',
  'kiosk-revoked',
  'kiosk-signature-invalid',
  'kiosk-request-stale',
  'kiosk-request-replayed',
  'kiosk-signature-required',
  'kiosk-session-mismatch',
  // PKI-AUTH (challenge bookkeeping)
  'challenge-unknown',
  'challenge-used',
  'challenge-expired',
  // PKI-AUTH (certificate verification, from issuer/pki-auth)
  'bad-signature',
  'bad-certificate',
  'untrusted',
  'expired',
  'not-yet-valid',
  'revoked',
  'revocation-unavailable',
  'policy-missing',
  'identity-missing',
  // approving a user_code
  'user-code-invalid',
  'user-code-unknown',
  'user-code-expired',
  'user-code-already-used',
  'user-code-attempts-exhausted',
  'session-approval-limit',
  // the card's status, checked again at approve and redeem (issuer/card-status.ts)
  'card-revoked',
  'card-status-unavailable',
  'card-not-trusted',
  'card-expires-too-soon',
  // number matching before approval (issuer/pairing/device-pairing.ts)
  'pairing-not-shown',
  'pairing-number-mismatch',
  'pairing-unknown',
  // enrollments
  'enrollment-unknown',
  'enrollment-burned',
  'enrollment-expired',
  'enrollment-completed',
  'otp-wrong',
  'otp-expired',
  'wrong-device',
  'csr-invalid',
  'csr-bad-signature',
  'csr-weak-key',
  'card-expired',
  // operations: the CA key cannot sign (HSM unreachable; fails closed), /metrics refused
  'ca-unavailable',
  'metrics-forbidden',
  // lifecycle (issuer/lifecycle/): the issuer's CA was replaced while a redeem was signed; the CRL of a generation
  'issuer-replaced',
  'crl-unknown',
  'crl-unavailable',
  // this PC (issuer/pc/): tenant policy on software keys, revocation signed by the PC's own key
  'software-key-refused',
  'credential-unknown',
  'device-signature-invalid',
  'credential-not-active',
  // the help-desk agent console (issuer/agent/)
  'agent-session-invalid',
  'agent-role-missing',
  'agent-forbidden',
  'agent-own-card',
  'agent-same-requester',
  'search-invalid',
  'card-unknown',
  'credential-revoked',
  'credential-suspended',
  'credential-not-suspended',
  'credential-expired',
  'revocation-reason-invalid',
  'note-invalid',
  'revocation-request-unknown',
  'revocation-request-decided',
  'tenant-setting-invalid',
  'audit-filter-invalid',
  // supervised issuance (tenant setting supervision = agent-affirms)
  'affirmation-pending',
  'affirmation-not-requested',
  'affirmation-mismatch',
  'affirmation-done',
] as const;
export type IssuerErrorCode = (typeof ISSUER_ERROR_CODES)[number];

/** RFC 6749 §5.2 + RFC 8628 §3.5 error codes of the device flow endpoints. */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  'authorization_pending',
  'slow_down',
  'access_denied',
  'expired_token',
  'rate_limited',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** Any code an error answer of the issuer can carry, with the body shape it comes in. */
export type AnyIssuerErrorCode = IssuerErrorCode | OAuthErrorCode;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;

export interface ErrorEntry {
  readonly status: ErrorStatus;
  /** What the person or operator reads; facts of one case (tries left, a date) follow it as a detail. */
  readonly sentence: string;
}

export const ISSUER_ERRORS = {
  'bad-request': { status: 400, sentence: 'Bad request:' },
  'payload-too-large': { status: 413, sentence: 'The request body is too large.' },
  'unsupported-media-type': { status: 415, sentence: 'Send JSON (or form-encoded for the OAuth endpoints).' },
  'not-found': { status: 404, sentence: 'No such endpoint.' },
  'rate-limited': { status: 429, sentence: 'Too many attempts: wait a minute and try again.' },
  'internal-error': { status: 500, sentence: 'The issuer failed to handle the request; the attempt was not recorded.' },
  'storage-unavailable': {
    status: 503,
    sentence: "The issuer's database cannot be reached right now; nothing was changed. Try again shortly.",
  },
  'invalid-session': { status: 401, sentence: 'Sign in with the card again (no, expired or ended kiosk session).' },
  'invalid-token': { status: 401, sentence: 'No or expired device access token.' },
  'kiosk-unknown': { status: 401, sentence: 'This kiosk is not registered with the issuer: an administrator adds it.' },
  'kiosk-revoked': { status: 403, sentence: 'This kiosk has been revoked by an administrator.' },
  'kiosk-signature-invalid': {
    status: 401,
    sentence: "The kiosk's signature does not verify with its registered key.",
  },
  'kiosk-request-stale': {
    status: 401,
    sentence: "The kiosk's request is too old or too far ahead: check the kiosk's clock.",
  },
  'kiosk-request-replayed': { status: 409, sentence: 'This kiosk request was already received (replayed).' },
  'kiosk-signature-required': {
    status: 401,
    sentence: "This issuer takes enrollment calls only signed with a registered kiosk's key (x-dck-kiosk-signature).",
  },
  'kiosk-session-mismatch': {
    status: 403,
    sentence:
      "This kiosk session belongs to the kiosk that signed the card in: only that kiosk's signed calls can use it.",
  },
  'challenge-unknown': { status: 401, sentence: 'Unknown challenge: ask for a new one.' },
  'challenge-used': { status: 401, sentence: 'This challenge was already used: ask for a new one.' },
  'challenge-expired': { status: 401, sentence: 'The challenge expired: ask for a new one.' },
  'bad-signature': { status: 401, sentence: "The card's signature over the challenge does not verify." },
  'bad-certificate': { status: 401, sentence: "The card's certificate cannot be read." },
  untrusted: { status: 401, sentence: "The card's certificate does not chain to a trusted PIV issuer." },
  expired: { status: 401, sentence: "The card's certificate has expired." },
  'not-yet-valid': { status: 401, sentence: "The card's certificate is not valid yet." },
  revoked: { status: 401, sentence: "The card's certificate has been revoked." },
  'revocation-unavailable': { status: 401, sentence: "The card's revocation status cannot be checked right now." },
  'policy-missing': { status: 401, sentence: "The card's certificate lacks the required PIV policy." },
  // 422, not 401: a trusted, unrevoked certificate (PKI-AUTH checks identity last) or a stored card without the
  // UUID a derived credential must carry; the same at sign-in, approve and redeem.
  'identity-missing': {
    status: 422,
    sentence: "The card's certificate has no PIV identity (UUID or FASC-N) to put in a derived credential.",
  },
  'user-code-invalid': { status: 400, sentence: 'A code has 8 letters, like WDJB-MJHT.' },
  'user-code-unknown': { status: 404, sentence: 'That code is not known: check the phone and try again.' },
  'user-code-expired': { status: 410, sentence: 'That code has expired: start again on the phone.' },
  'user-code-already-used': { status: 409, sentence: 'That code was already used.' },
  'user-code-attempts-exhausted': {
    status: 429,
    sentence: 'Too many wrong codes for this card: wait an hour, or ask the help desk.',
  },
  'session-approval-limit': {
    status: 409,
    sentence: 'This sign-in has already approved a phone: take the card out and sign in again for another.',
  },
  'card-revoked': {
    status: 403,
    sentence:
      "The card's certificate has been revoked: no derived credential can be issued for it, and its waiting enrollments have ended.",
  },
  'card-status-unavailable': {
    status: 503,
    sentence: "The card's revocation status cannot be checked right now: try again in a few minutes.",
  },
  'card-not-trusted': { status: 403, sentence: 'The card is no longer accepted.' },
  'card-expires-too-soon': {
    status: 422,
    sentence: 'The card expires too soon for a derived credential: renew the card first.',
  },
  // Approve came before this sign-in showed the phone's details (or another sign-in showed them since).
  'pairing-not-shown': {
    status: 409,
    sentence: "Show this phone's details and number at the kiosk before approving it.",
  },
  'pairing-number-mismatch': {
    status: 409,
    sentence: 'The number confirmed is not the one this phone shows: nothing was approved.',
  },
  'pairing-unknown': { status: 404, sentence: 'No phone with this pairing was shown in this sign-in.' },
  'enrollment-unknown': { status: 404, sentence: 'No such enrollment.' },
  'enrollment-burned': { status: 410, sentence: 'Too many wrong one-time passwords: start again.' },
  'enrollment-expired': { status: 410, sentence: 'The enrollment has expired: start again.' },
  'enrollment-completed': {
    status: 409,
    sentence: 'This enrollment is already finished (or changed meanwhile): check its status.',
  },
  'otp-wrong': { status: 401, sentence: 'Wrong one-time password.' },
  'otp-expired': { status: 410, sentence: 'The one-time password has expired: ask the kiosk for a new one.' },
  'wrong-device': {
    status: 403,
    sentence: 'This enrollment belongs to another device: use the phone that showed the code.',
  },
  'csr-invalid': { status: 400, sentence: 'The certificate request is not acceptable.' },
  'csr-bad-signature': { status: 400, sentence: "The certificate request's signature does not verify." },
  'csr-weak-key': { status: 422, sentence: "The certificate request's key is not accepted." },
  'card-expired': { status: 422, sentence: "The card's PIV Authentication certificate has expired." },
  'ca-unavailable': {
    status: 503,
    sentence: 'The issuer cannot sign certificates right now; nothing was issued. Try again shortly.',
  },
  'metrics-forbidden': { status: 403, sentence: '/metrics is not open to this caller.' },
  'issuer-replaced': {
    status: 409,
    sentence: 'The issuer was replaced while this certificate was made: nothing was issued; enroll again.',
  },
  // Two codes, not one with two statuses: a generation never published (404) is not a CRL that could not be
  // brought up to date (503), and the table gives each code one status.
  'crl-unknown': { status: 404, sentence: 'No CRL of that issuer generation is published.' },
  'crl-unavailable': { status: 503, sentence: 'The CRL could not be brought up to date: try again shortly.' },
  'software-key-refused': {
    status: 403,
    sentence: "This organisation accepts only keys kept in the PC's TPM: this PC's key is a software key.",
  },
  'credential-unknown': { status: 404, sentence: 'No derived credential has this serial number.' },
  'device-signature-invalid': {
    status: 401,
    sentence: "The request is not signed by this credential's own key.",
  },
  'credential-not-active': { status: 409, sentence: 'This credential is already revoked or has expired.' },
  'agent-session-invalid': {
    status: 401,
    sentence: 'Sign in at the console with your card again (no, expired or ended agent session).',
  },
  'agent-role-missing': { status: 403, sentence: 'This card has no help-desk role at this issuer.' },
  'agent-forbidden': { status: 403, sentence: 'Your role does not allow this action.' },
  'agent-own-card': {
    status: 403,
    sentence: "An agent cannot act on their own card's credentials, enrollments or requests.",
  },
  'agent-same-requester': {
    status: 403,
    sentence: 'Four eyes: a revocation must be approved by another agent than the one who asked for it.',
  },
  'search-invalid': {
    status: 400,
    sentence: 'Search by a name, card UUID, FASC-N or certificate serial (2–128 printable characters).',
  },
  'card-unknown': { status: 404, sentence: 'No such card.' },
  'credential-revoked': { status: 409, sentence: 'This credential is already revoked; revocation is final.' },
  'credential-suspended': { status: 409, sentence: 'This credential is already suspended.' },
  'credential-not-suspended': { status: 409, sentence: 'This credential is not suspended.' },
  'credential-expired': { status: 409, sentence: 'This credential has expired: there is nothing to change.' },
  'revocation-reason-invalid': {
    status: 400,
    sentence: 'Give an RFC 5280 revocation reason (keyCompromise, affiliationChanged, superseded, …).',
  },
  'note-invalid': { status: 400, sentence: 'A note is one line of at most 200 printable characters.' },
  'revocation-request-unknown': { status: 404, sentence: 'No such revocation request.' },
  'revocation-request-decided': {
    status: 409,
    sentence: 'This request was already decided (by another approver, or meanwhile): check it again.',
  },
  'tenant-setting-invalid': { status: 400, sentence: 'That tenant setting or value is not accepted; nothing changed:' },
  'audit-filter-invalid': {
    status: 400,
    sentence: 'That audit filter is not accepted (printable text, an event name, success or failure, a date):',
  },
  // 409 like OAuth's authorization_pending is 400: the phone asks again (Retry-After) with the same OTP and CSR.
  'affirmation-pending': {
    status: 409,
    sentence:
      "A help-desk agent must confirm this phone's key first: show them the fingerprint, then the phone asks again.",
  },
  'affirmation-not-requested': {
    status: 409,
    sentence: 'The phone has not asked for its certificate yet: there is no key to confirm.',
  },
  'affirmation-mismatch': {
    status: 409,
    sentence: "That is not the fingerprint of this phone's key: nothing was confirmed.",
  },
  'affirmation-done': {
    status: 409,
    sentence: "This phone's key was already confirmed (by another agent, or meanwhile).",
  },
} as const satisfies Record<IssuerErrorCode, ErrorEntry>;

export const OAUTH_ERRORS = {
  invalid_request: { status: 400, sentence: 'Bad request:' },
  invalid_client: { status: 401, sentence: 'This client_id is not registered with the issuer.' },
  invalid_grant: { status: 400, sentence: 'Unknown or already exchanged device_code.' },
  unsupported_grant_type: {
    status: 400,
    sentence: 'This grant_type is not supported: use the RFC 8628 device code grant.',
  },
  authorization_pending: { status: 400, sentence: 'The code has not been approved at a kiosk yet.' },
  slow_down: { status: 400, sentence: 'Polling too fast:' },
  access_denied: { status: 400, sentence: 'The authorization was denied.' },
  expired_token: { status: 400, sentence: 'The device_code has expired; start again.' },
  rate_limited: { status: 429, sentence: 'Too many requests: slow down.' },
} as const satisfies Record<OAuthErrorCode, ErrorEntry>;

const OAUTH_CODES: ReadonlySet<string> = new Set(OAUTH_ERROR_CODES);

export function isOAuthErrorCode(code: AnyIssuerErrorCode): code is OAuthErrorCode {
  return OAUTH_CODES.has(code);
}

/** The table's entry for any code, issuer or OAuth. */
export function errorEntry(code: AnyIssuerErrorCode): ErrorEntry {
  return isOAuthErrorCode(code) ? OAUTH_ERRORS[code] : ISSUER_ERRORS[code];
}

/** The message of one answer: the code's sentence, then the facts of this case. */
export function errorMessage(code: AnyIssuerErrorCode, detail?: string): string {
  const { sentence } = errorEntry(code);
  return detail === undefined || detail === '' ? sentence : `${sentence} ${detail}`;
}
