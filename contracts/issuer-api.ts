// The issuer service's HTTP contract: every request/response body and every error body, as TypeBox schemas plus
// their static types. The route table (issuer-routes.ts) pairs them with methods and paths; the error table
// (issuer-errors.ts) gives every error code its status and sentence. The issuer validates with these schemas;
// the kiosk's issuer client (main/) and the phone client (phone/) call through the same table.
//
// Conventions
// - JSON over HTTPS. Every request body is a closed object (additionalProperties false) with bounded strings.
// - Binary values (challenge, certificate, signature) travel as base64url without padding.
// - Every error answer is `{ error: <string-literal code>, message: <human sentence> }` with a 4xx/5xx status.
//   The two RFC 8628 endpoints also carry `error_description` (same text) so stock OAuth clients work.
// - The RFC 8628 endpoints accept `application/x-www-form-urlencoded` (as the RFC says) and JSON.
// - Kiosk calls carry `Authorization: Bearer <sessionToken>` (from PKI-AUTH); phone calls after the device
//   flow carry `Authorization: Bearer <access_token>` (from the token endpoint).
import Type from 'typebox';
import type { Static } from 'typebox';
import { ISSUER_ERROR_CODES, OAUTH_ERROR_CODES } from './issuer-errors.ts';
import { KIOSK_HEARTBEAT_MAX_ERRORS } from './kiosk-heartbeat.ts';
import { KEY_FINGERPRINT_PATTERN } from './key-fingerprint.ts';
import { PKI_AUTH_NONCE_BASE64URL_CHARS } from './pki-auth-message.ts';
import { OPAQUE_ID_PATTERN } from './qr-payload.ts';

/**
 * Request id header: a client (the kiosk) sends its own id per call and logs it beside its outcome; the issuer
 * logs it on its line for that request and echoes it (or the id it made, when none or a malformed one came).
 */
export const REQUEST_ID_HEADER = 'x-request-id';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

// ─────────────────────────────── shared pieces ───────────────────────────────

/** base64url without padding, bounded. */
const Base64Url = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', minLength: 1, maxLength });

/** Opaque identifiers and tokens minted by the issuer (base64url of 16–32 random bytes). */
export const OpaqueId = Type.String({ pattern: OPAQUE_ID_PATTERN, maxLength: 64 });

// ─────────────────────────────── errors ───────────────────────────────

export const IssuerError = Type.Object(
  {
    error: Type.Enum(ISSUER_ERROR_CODES),
    message: Type.String({ maxLength: 1000 }),
    /** Only with `otp-wrong`: tries left before the enrollment is burned. */
    attemptsLeft: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type IssuerError = Static<typeof IssuerError>;

/** The number both the kiosk and the phone show (number matching): two decimal digits, "00"–"99". */
export const MATCH_NUMBER_DIGITS = 2;
export const MatchNumber = Type.String({
  pattern: `^[0-9]{${MATCH_NUMBER_DIGITS}}$`,
  minLength: MATCH_NUMBER_DIGITS,
  maxLength: MATCH_NUMBER_DIGITS,
});

export const OAuthError = Type.Object(
  {
    error: Type.Enum(OAUTH_ERROR_CODES),
    error_description: Type.String({ maxLength: 1000 }),
    message: Type.String({ maxLength: 1000 }),
    /**
     * Extension (number matching): with `authorization_pending` once a kiosk shows this phone's details, the
     * two-digit number the phone must show so the person can compare it with the kiosk's.
     */
    match_number: Type.Optional(MatchNumber),
  },
  { additionalProperties: false },
);
export type OAuthError = Static<typeof OAuthError>;

// ─────────────────────────────── metadata ───────────────────────────────

export const IssuerMetadata = Type.Object(
  {
    displayName: Type.String({ maxLength: 200 }),
    helpUrl: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
    issuerBaseUrl: Type.String({ maxLength: 2000 }),
    /** The CA that signs derived certificates, PEM. */
    caCertificatePem: Type.String({ maxLength: 20000 }),
    /** OTP digits the kiosk will show and the phone must type. */
    otpLength: Type.Integer({ minimum: 6, maximum: 12 }),
  },
  { additionalProperties: false },
);
export type IssuerMetadata = Static<typeof IssuerMetadata>;

// ─────────────────────────────── RFC 8628: device authorization (phone) ───────────────────────────────

/**
 * What the phone says about itself at device authorization, shown on the kiosk before approval (RFC 8628 §5.4).
 * Each is optional for stock OAuth clients; when present it is checked by the issuer (issuer/pairing/
 * device-description.ts: printable, no control or bidi characters) since a kiosk screen shows it. The schema only
 * bounds the length (in UTF-16 units, as the kiosk lays it out).
 */
export const DEVICE_DESCRIPTION_FIELDS = {
  device_platform: { key: 'platform', maxLength: 32 },
  device_model: { key: 'model', maxLength: 64 },
  app_name: { key: 'appName', maxLength: 64 },
  app_version: { key: 'appVersion', maxLength: 32 },
} as const;

/** The device as the kiosk shows it; null: the phone did not say. */
export const DeviceDescription = Type.Object(
  {
    platform: Type.Union([
      Type.String({ maxLength: DEVICE_DESCRIPTION_FIELDS.device_platform.maxLength }),
      Type.Null(),
    ]),
    model: Type.Union([Type.String({ maxLength: DEVICE_DESCRIPTION_FIELDS.device_model.maxLength }), Type.Null()]),
    appName: Type.Union([Type.String({ maxLength: DEVICE_DESCRIPTION_FIELDS.app_name.maxLength }), Type.Null()]),
    appVersion: Type.Union([Type.String({ maxLength: DEVICE_DESCRIPTION_FIELDS.app_version.maxLength }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type DeviceDescription = Static<typeof DeviceDescription>;

export const DeviceAuthorizationRequest = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[\\x21-\\x7e]+$' }),
    scope: Type.Optional(Type.String({ maxLength: 200 })),
    device_platform: Type.Optional(
      Type.String({ minLength: 1, maxLength: DEVICE_DESCRIPTION_FIELDS.device_platform.maxLength }),
    ),
    device_model: Type.Optional(
      Type.String({ minLength: 1, maxLength: DEVICE_DESCRIPTION_FIELDS.device_model.maxLength }),
    ),
    app_name: Type.Optional(Type.String({ minLength: 1, maxLength: DEVICE_DESCRIPTION_FIELDS.app_name.maxLength })),
    app_version: Type.Optional(
      Type.String({ minLength: 1, maxLength: DEVICE_DESCRIPTION_FIELDS.app_version.maxLength }),
    ),
  },
  { additionalProperties: false },
);
export type DeviceAuthorizationRequest = Static<typeof DeviceAuthorizationRequest>;

export const DeviceAuthorizationResponse = Type.Object(
  {
    device_code: Type.String({ maxLength: 100 }),
    /** Shown as XXXX-XXXX. */
    user_code: Type.String({ maxLength: 9 }),
    verification_uri: Type.String({ maxLength: 2000 }),
    /** Seconds; at most 900. */
    expires_in: Type.Integer({ minimum: 1, maximum: 900 }),
    /** Minimum seconds between token polls. */
    interval: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type DeviceAuthorizationResponse = Static<typeof DeviceAuthorizationResponse>;

export const TokenRequest = Type.Object(
  {
    grant_type: Type.String({ maxLength: 100 }),
    device_code: Type.String({ minLength: 1, maxLength: 100 }),
    client_id: Type.String({ minLength: 1, maxLength: 100 }),
  },
  { additionalProperties: false },
);
export type TokenRequest = Static<typeof TokenRequest>;

export const TokenResponse = Type.Object(
  {
    access_token: Type.String({ maxLength: 100 }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ minimum: 1 }),
    /** Set once the kiosk approved: the enrollment this device may redeem (also in the QR code). */
    enrollment_id: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);
export type TokenResponse = Static<typeof TokenResponse>;

// ─────────────────────────────── PKI-AUTH (kiosk) ───────────────────────────────

/** A PKI-AUTH nonce (contracts/pki-auth-message.ts) in unpadded base64url: exactly 32 bytes, nothing else. */
const PkiAuthNonce = Type.String({
  pattern: `^[A-Za-z0-9_-]{${PKI_AUTH_NONCE_BASE64URL_CHARS}}$`,
  minLength: PKI_AUTH_NONCE_BASE64URL_CHARS,
  maxLength: PKI_AUTH_NONCE_BASE64URL_CHARS,
});

/** A kiosk's name as an administrator registers it (`dck admin kiosks add --name`). */
export const KioskName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

/** contracts/kiosk-heartbeat.ts: a kiosk's signed report of its reader, card service and recent errors. */
export const KioskHeartbeat = Type.Object(
  {
    kiosk: KioskName,
    sentAt: Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 }),
    nonce: Type.String({ minLength: 22, maxLength: 22, pattern: '^[A-Za-z0-9_-]+$' }),
    report: Type.Object(
      {
        reader: Type.Union([
          Type.Literal('card-present'),
          Type.Literal('no-card'),
          Type.Literal('no-reader'),
          Type.Literal('error'),
          Type.Literal('unknown'),
        ]),
        cardService: Type.Union([Type.Literal('running'), Type.Literal('unavailable'), Type.Literal('unknown')]),
        lastErrors: Type.Array(
          Type.Object(
            {
              at: Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 }),
              code: Type.String({ minLength: 1, maxLength: 48, pattern: '^[a-z0-9-]+$' }),
            },
            { additionalProperties: false },
          ),
          { maxItems: KIOSK_HEARTBEAT_MAX_ERRORS },
        ),
        appVersion: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9.+-]+$' }),
      },
      { additionalProperties: false },
    ),
    /** Ed25519 over kioskHeartbeatMessage(…), base64url (64 bytes). */
    signature: Type.String({ minLength: 86, maxLength: 86, pattern: '^[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
);
export type KioskHeartbeat = Static<typeof KioskHeartbeat>;

export const ChallengeRequest = Type.Object(
  {
    /** Free label of the kiosk (for the audit log); the challenge is bound to the returned challengeId. */
    kioskId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' })),
  },
  { additionalProperties: false },
);
export type ChallengeRequest = Static<typeof ChallengeRequest>;

export const ChallengeResponse = Type.Object(
  {
    challengeId: Type.String({ maxLength: 64 }),
    /**
     * The issuer's nonce: exactly PKI_AUTH_ISSUER_NONCE_BYTES random bytes, base64url. The card does not sign it
     * raw: it signs pkiAuthMessage(challenge, kioskNonce) (contracts/pki-auth-message.ts).
     */
    challenge: PkiAuthNonce,
    expiresIn: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type ChallengeResponse = Static<typeof ChallengeResponse>;

export const ChallengeAnswer = Type.Object(
  {
    challengeId: OpaqueId,
    /** The card's PIV Authentication (9A) certificate, DER, base64url. */
    certificate: Base64Url(8000),
    /** The kiosk's own nonce (PKI_AUTH_KIOSK_NONCE_BYTES random bytes), base64url: the second half of what was signed. */
    kioskNonce: PkiAuthNonce,
    /** The card's signature over pkiAuthMessage(challenge, kioskNonce), base64url (ECDSA as DER). */
    signature: Base64Url(1000),
  },
  { additionalProperties: false },
);
export type ChallengeAnswer = Static<typeof ChallengeAnswer>;

export const Cardholder = Type.Object(
  {
    commonName: Type.String({ maxLength: 500 }),
    uuid: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
    fascnHex: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    /** PIV Authentication certificate's notAfter, ISO 8601. Derived credentials never outlive it. */
    cardCertificateNotAfter: Type.String({ maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type Cardholder = Static<typeof Cardholder>;

export const KioskSession = Type.Object(
  {
    sessionToken: Type.String({ maxLength: 100 }),
    expiresIn: Type.Integer({ minimum: 1 }),
    cardholder: Cardholder,
  },
  { additionalProperties: false },
);
export type KioskSession = Static<typeof KioskSession>;

// ─────────────────────────────── enrollments (kiosk) ───────────────────────────────

export const DevicePairingRequest = Type.Object(
  {
    /** As typed by the person: case-insensitive, dash optional. */
    userCode: Type.String({ minLength: 1, maxLength: 32 }),
  },
  { additionalProperties: false },
);
export type DevicePairingRequest = Static<typeof DevicePairingRequest>;

export const DevicePairing = Type.Object(
  {
    /** Names this phone's pairing in the deny route (the device authorization's record id). */
    pairingId: OpaqueId,
    device: DeviceDescription,
    /** Derived by the issuer from its secret, the phone's record and this sign-in: nobody outside can choose it. */
    matchNumber: MatchNumber,
  },
  { additionalProperties: false },
);
export type DevicePairing = Static<typeof DevicePairing>;

export const ApproveRequest = Type.Object(
  {
    /** As typed by the person: case-insensitive, dash optional. */
    userCode: Type.String({ minLength: 1, maxLength: 32 }),
    /** The number the kiosk showed and the person confirmed matches the phone's (from DevicePairing). */
    matchNumber: MatchNumber,
  },
  { additionalProperties: false },
);
export type ApproveRequest = Static<typeof ApproveRequest>;

/** The body of a 204 answer (none): the caller reads an empty answer as null. */
export const NoContent = Type.Null();

export const DevicePairingIdParams = Type.Object({ pairingId: OpaqueId }, { additionalProperties: false });
export type DevicePairingIdParams = Static<typeof DevicePairingIdParams>;

export const EnrollmentCode = Type.Object(
  {
    enrollmentId: Type.String({ maxLength: 64 }),
    /** Put this text in the QR code (contracts/qr-payload.ts). */
    qrPayload: Type.String({ maxLength: 512 }),
    /** The one-time password to show next to the QR code. Only ever returned here, never stored in clear. */
    otp: Type.String({ maxLength: 12 }),
    /** Seconds until this QR/OTP dies. */
    expiresIn: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type EnrollmentCode = Static<typeof EnrollmentCode>;

export const EnrollmentIdParams = Type.Object({ enrollmentId: OpaqueId }, { additionalProperties: false });
export type EnrollmentIdParams = Static<typeof EnrollmentIdParams>;

export const EnrollmentStatusQuery = Type.Object(
  {
    /**
     * Long-poll: answer as soon as the state differs from `since`, or after this many seconds (max 60). Without
     * `since`: as soon as the state, `phoneSeen` or `agentCheck` differs from when the request arrived. Without waitSeconds the
     * answer is immediate.
     */
    waitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
    since: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false },
);
export type EnrollmentStatusQuery = Static<typeof EnrollmentStatusQuery>;

export const ENROLLMENT_STATES = ['awaiting-phone', 'completed', 'burned', 'expired'] as const;
export type EnrollmentState = (typeof ENROLLMENT_STATES)[number];

export const EnrollmentStatus = Type.Object(
  {
    enrollmentId: Type.String({ maxLength: 64 }),
    state: Type.Enum(ENROLLMENT_STATES),
    /**
     * True once the phone has shown it holds this QR code (it fetched the enrollment after scanning, or a password
     * try for it failed), so the kiosk can say
     * "your phone has scanned the code". A long poll without `since` also answers when this changes.
     */
    phoneSeen: Type.Optional(Type.Boolean()),
    /**
     * Supervised issuance (tenant setting `supervision: agent-affirms`): once the phone's redeem waits for a help-desk
     * agent, the fingerprint of the phone's key (the phone shows the same text) and whether an agent affirmed it, so
     * the kiosk can show it for the person to compare. Absent when the tenant does not supervise or before the redeem.
     */
    agentCheck: Type.Optional(
      Type.Object(
        { keyFingerprint: Type.String({ pattern: KEY_FINGERPRINT_PATTERN }), affirmed: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
    /** When completed: the derived certificate's serial (hex) and notAfter (ISO 8601). */
    certificateSerialHex: Type.Optional(Type.String({ maxLength: 80 })),
    certificateNotAfter: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type EnrollmentStatus = Static<typeof EnrollmentStatus>;
export type AgentCheck = NonNullable<EnrollmentStatus['agentCheck']>;

// ─────────────────────────────── redeem (phone) ───────────────────────────────

/** The longest life an issuer may give a one-time password (issuer config `otp.lifetimeSeconds`). */
export const OTP_LIFETIME_MAX_SECONDS = 3600;

/** What the phone learns when it fetches the enrollment it scanned (GET enrollmentForPhone). */
export const PhoneEnrollment = Type.Object(
  {
    enrollmentId: Type.String({ maxLength: 64 }),
    state: Type.Enum(ENROLLMENT_STATES),
    /** Digits of the one-time password the kiosk shows. */
    otpLength: Type.Integer({ minimum: 6, maximum: 12 }),
    /**
     * Seconds the current password still works (0 once expired): how long a phone waits for an agent under
     * supervised issuance, so an issuer cannot make it wait longer than any password lives.
     */
    expiresIn: Type.Integer({ minimum: 0, maximum: OTP_LIFETIME_MAX_SECONDS }),
  },
  { additionalProperties: false },
);
export type PhoneEnrollment = Static<typeof PhoneEnrollment>;

/** A device's own stable id (phone app or PC), its platform and model as it reports them: never trusted, shown. */
const DeviceId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });
const DevicePlatform = Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x20-\\x7e]+$' });
const DeviceModel = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7e]+$' });

export const RedeemRequest = Type.Object(
  {
    otp: Type.String({ minLength: 1, maxLength: 16 }),
    /** PKCS#10 certificate signing request: PEM, or DER as base64url. */
    csr: Type.String({ minLength: 1, maxLength: 8000 }),
    /**
     * The device as the phone reports it. Only `id` is used: a new credential for the same card and device id
     * revokes the older one as superseded (renewal). `platform` and `model` are ignored: the binding takes those the
     * person confirmed at the kiosk (device authorization + number matching); kept so older phones stay valid.
     */
    device: Type.Optional(
      Type.Object(
        { id: DeviceId, platform: Type.Optional(DevicePlatform), model: Type.Optional(DeviceModel) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RedeemRequest = Static<typeof RedeemRequest>;

export const RedeemResponse = Type.Object(
  {
    /** The derived PIV Authentication certificate, PEM. */
    certificatePem: Type.String({ maxLength: 20000 }),
    /** Issuing CA certificate(s) up to and including the issuer's root, PEM, nearest first. */
    chainPem: Type.Array(Type.String({ maxLength: 20000 }), { maxItems: 5 }),
    serialNumberHex: Type.String({ maxLength: 80 }),
    notAfter: Type.String({ maxLength: 40 }),
    /**
     * The phone's redeem of an enrollment it already completed (its first answer was lost): the same certificate
     * again, nothing issued (issuer/enrollment/redeliver-issued.ts). Absent on a new issuance.
     */
    repeatedDelivery: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false },
);
export type RedeemResponse = Static<typeof RedeemResponse>;

// ─────────────────────────────── this PC (dck pc, issue 14) ───────────────────────────────

/** Where the PC's key lives: inside its TPM, or a software token (a tenant may refuse those). */
export const KEY_PROTECTION_LEVELS = ['tpm', 'software'] as const;
export type KeyProtection = (typeof KEY_PROTECTION_LEVELS)[number];

/** A card sign-in authorizes this one PC: its CSR (signed by the key in its platform store) and what holds the key. */
export const PcEnrollmentRequest = Type.Object(
  {
    /** PKCS#10 certificate signing request: PEM, or DER as base64url. */
    csr: Type.String({ minLength: 1, maxLength: 8000 }),
    /** The PC as it reports itself (shown to administrators, never trusted): a stable id, the OS, the model. */
    device: Type.Object(
      { id: DeviceId, platform: DevicePlatform, model: Type.Optional(DeviceModel) },
      { additionalProperties: false },
    ),
    keyProtection: Type.Enum(KEY_PROTECTION_LEVELS),
  },
  { additionalProperties: false },
);
export type PcEnrollmentRequest = Static<typeof PcEnrollmentRequest>;

/** What a PC installs (as a phone's redeem answer) and when to renew it: the tenant's renewal threshold of its lifetime. */
export const PcEnrollmentResponse = Type.Object(
  {
    certificatePem: Type.String({ maxLength: 20000 }),
    chainPem: Type.Array(Type.String({ maxLength: 20000 }), { maxItems: 5 }),
    serialNumberHex: Type.String({ maxLength: 80 }),
    notAfter: Type.String({ format: 'date-time', maxLength: 40 }),
    renewalDueAt: Type.String({ format: 'date-time', maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type PcEnrollmentResponse = Static<typeof PcEnrollmentResponse>;

/** Why a PC gives its credential up: `dck pc remove`, `dck pc renew` (once the new one is installed), or a failed install. */
export const PC_REVOCATION_CAUSES = ['removed', 'renewed', 'install-failed'] as const;
export type PcRevocationCause = (typeof PC_REVOCATION_CAUSES)[number];

/** The PC's own key signs pcRevocationMessage (contracts/pc-revocation-message.ts) over a fresh PKI-AUTH challenge. */
export const PcRevocationRequest = Type.Object(
  {
    challengeId: OpaqueId,
    cause: Type.Enum(PC_REVOCATION_CAUSES),
    /** ECDSA signature by the credential's own key (SHA-256 for P-256, SHA-384 for P-384), base64url, r ‖ s (IEEE P1363, as PKCS#11 gives it). */
    signature: Base64Url(1000),
  },
  { additionalProperties: false },
);
export type PcRevocationRequest = Static<typeof PcRevocationRequest>;

// ─────────────────────────────── derived credential status (phone, "app" channel) ───────────────────────────────

/** Certificate serial numbers as the issuer writes them: lower-case hex, at most 20 octets (RFC 5280 §4.1.2.2). */
export const CredentialSerialParams = Type.Object(
  {
    serialNumberHex: Type.String({ pattern: '^[0-9a-f]{2,40}$', maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type CredentialSerialParams = Static<typeof CredentialSerialParams>;

export const CredentialStatus = Type.Object(
  {
    serialNumberHex: Type.String({ maxLength: 40 }),
    /** The lifecycle's state (issuer/lifecycle/credential-state.ts): suspended is resumable, revoked is final. */
    state: Type.Union([
      Type.Literal('active'),
      Type.Literal('suspended'),
      Type.Literal('revoked'),
      Type.Literal('expired'),
    ]),
    notAfter: Type.String({ format: 'date-time', maxLength: 40 }),
    /** When the tenant's renewal threshold is reached; null when the tenant sends no app notices. */
    renewalDueAt: Type.Union([Type.String({ format: 'date-time', maxLength: 40 }), Type.Null()]),
    /** True from renewalDueAt on (while active): the phone tells its user to enroll again. */
    renewalDue: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type CredentialStatus = Static<typeof CredentialStatus>;
