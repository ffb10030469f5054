// The issuer's one configuration file: a TypeBox schema with defaults, validated at start. A bad config stops
// the service with the offending field named (`ConfigError.field`), never with a half-applied setting.
import { readFileSync } from 'node:fs';
import Type from 'typebox';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { OTP_LIFETIME_MAX_SECONDS } from '../contracts/issuer-api.ts';
import { CaConfig, caSectionProblem } from './ca/ca-config.ts';
import { DEFAULT_MAX_CRL_BYTES } from './pki-auth/revocation/crl.ts';
import {
  NotificationsConfig,
  movedNotificationSetting,
  notificationsProblem,
} from './notifications/notification-config.ts';
import { StorageConfig, storageSectionProblem } from './storage/storage-config.ts';

const Seconds = (defaultValue: number, maximum: number) => Type.Integer({ minimum: 1, maximum, default: defaultValue });
const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
const HttpUrl = Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://' });

export const IssuerConfigSchema = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 200, default: 'Derived Credential Issuer' }),
    helpUrl: Type.Union([HttpUrl, Type.Null()], { default: null }),
    listen: Type.Object(
      {
        // Loopback by default: exposing the issuer is a deliberate act.
        host: Type.String({ minLength: 1, maxLength: 255, default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8443 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Address phones and kiosks use (QR payload, verification_uri). Default: https://<listen host>:<port>. */
    publicBaseUrl: Type.Union([Type.String({ minLength: 8, maxLength: 2048, pattern: '^https://' }), Type.Null()], {
      default: null,
    }),
    /** TLS key + certificate files; absent → a self-signed loopback certificate is created in the data dir. */
    tls: Type.Union(
      [Type.Object({ certificateFile: FilePath, keyFile: FilePath }, { additionalProperties: false }), Type.Null()],
      { default: null },
    ),
    /** Where the issuer keeps its state: SQLite in the data dir (default), or PostgreSQL shared by several nodes. */
    storage: StorageConfig,
    /** Issuing CA: null → created in the data dir; software key files; or a key in a PKCS#11 token (ca/ca-config.ts). */
    ca: CaConfig,
    pivTrust: Type.Object(
      {
        trustAnchorFiles: Type.Array(FilePath, { maxItems: 100, default: [] }),
        intermediateFiles: Type.Array(FilePath, { maxItems: 500, default: [] }),
        requiredPolicyOids: Type.Array(Type.String({ pattern: '^[0-2](\\.[0-9]+)+$', maxLength: 200 }), {
          maxItems: 20,
          default: ['2.16.840.1.101.3.2.1.3.13'],
        }),
        crlUrls: Type.Array(HttpUrl, { maxItems: 50, default: [] }),
        crlFiles: Type.Array(FilePath, { maxItems: 50, default: [] }),
        ocspUrl: Type.Union([HttpUrl, Type.Null()], { default: null }),
        /**
         * Oldest revocation answer (CRL read from a URL, cached OCSP "good") the issuer relies on, at PKI-AUTH and
         * at the re-checks of the card at approve and redeem. CRL files are looked at on every check anyway.
         */
        revocationFreshnessSeconds: Seconds(300, 86400),
        /** Largest CRL read (URL or file), at PKI-AUTH and by the card monitor; a Federal CA's CRL runs to tens of MB. */
        maxCrlBytes: Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024, default: DEFAULT_MAX_CRL_BYTES }),
      },
      { additionalProperties: false, default: {} },
    ),
    deviceFlow: Type.Object(
      {
        clientIds: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, default: ['dck-phone'] }),
        /** RFC 8628 expires_in; the issue caps it at 15 minutes. */
        codeLifetimeSeconds: Seconds(600, 900),
        pollIntervalSeconds: Seconds(5, 60),
        accessTokenLifetimeSeconds: Seconds(900, 3600),
      },
      { additionalProperties: false, default: {} },
    ),
    pkiAuth: Type.Object(
      {
        challengeLifetimeSeconds: Seconds(60, 600),
        kioskSessionLifetimeSeconds: Seconds(900, 3600),
        /** Wrong user_codes one kiosk session may type before it is ended. */
        maxUserCodeFailures: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
        /** Wrong user_codes one card may type within `userCodeFailureWindowSeconds`, over all its sessions. */
        maxUserCodeFailuresPerCard: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
        userCodeFailureWindowSeconds: Seconds(3600, 86400),
        /** Phones one kiosk session may approve: one sign-in, one derived credential unless the tenant says more. */
        maxApprovalsPerSession: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The help-desk agent console (issuer/agent/): the agent session a card sign-in opens. */
    agentConsole: Type.Object(
      {
        /** Inactivity after which the agent session dies; every accepted call renews it. */
        sessionIdleSeconds: Seconds(900, 3600),
        /** The session's hard end, however active: the agent signs in with the card again. */
        sessionMaxSeconds: Seconds(28800, 86400),
      },
      { additionalProperties: false, default: {} },
    ),
    otp: Type.Object(
      {
        length: Type.Integer({ minimum: 6, maximum: 12, default: 8 }),
        lifetimeSeconds: Seconds(600, OTP_LIFETIME_MAX_SECONDS),
        maxAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 5 }),
      },
      { additionalProperties: false, default: {} },
    ),
    derivedCertificate: Type.Object(
      {
        lifetimeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 365 }),
        /** A certificate that would live shorter (the card expires first) is refused, never issued. */
        minimumLifetimeHours: Type.Integer({ minimum: 1, maximum: 87600, default: 24 }),
      },
      { additionalProperties: false, default: {} },
    ),
    rateLimits: Type.Object(
      {
        /** Requests per minute per caller on the user_code (approve) and OTP (redeem) routes. */
        codeGuessesPerMinute: Type.Integer({ minimum: 1, maximum: 100000, default: 30 }),
        /** Requests per minute per address on every other route. */
        requestsPerMinute: Type.Integer({ minimum: 1, maximum: 10000000, default: 6000 }),
        /**
         * Routes anyone may call without a token and that write a row (device authorization, PKI-AUTH challenge):
         * per address, and for the whole service (all addresses, all workers together).
         */
        unauthenticatedPerAddressPerMinute: Type.Integer({ minimum: 1, maximum: 10000000, default: 30 }),
        unauthenticatedServicePerMinute: Type.Integer({ minimum: 1, maximum: 10000000, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
    maintenance: Type.Object(
      {
        /** How often one process (a lease in the database) deletes expired rows and applies the audit retention. */
        purgeIntervalSeconds: Seconds(300, 86400),
        /** Expired codes, challenges, sessions and unfinished enrollments are kept this long after expiry. */
        expiredRowGraceSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 3600 }),
        /** Help-desk agent sessions that ended (signed out, expired) are kept this long, then deleted. */
        agentSessionRetentionSeconds: Type.Integer({ minimum: 0, maximum: 365 * 86400, default: 86400 }),
        /** Decided four-eyes revocation requests are kept this long after the decision (the audit log keeps more). */
        revocationRequestRetentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The card monitor (issuer/eligibility/): linked cards re-checked through the pivTrust CRLs / OCSP. */
    eligibility: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /** First check of a card after its first derived credential was issued (MyID: 7 days). */
        firstCheckAfterSeconds: Type.Integer({ minimum: 0, maximum: 365 * 86400, default: 7 * 86400 }),
        /** Then every this long. */
        intervalSeconds: Seconds(86400, 365 * 86400),
        /** A card without a current answer (unknown, flagged) is tried again after this long. */
        unknownRetrySeconds: Seconds(3600, 7 * 86400),
        /** How often the process holding the `eligibility` lease looks for due cards. */
        tickSeconds: Seconds(300, 86400),
        /** Cards per page (one read, one write transaction). */
        pageSize: Type.Integer({ minimum: 1, maximum: 50000, default: 5000 }),
        /**
         * A revoked card: revoke every derived credential bound to it, or record and notify only (SP 800-157r1). Only
         * the default of the tenant setting `onCardRevoked` (issuer/lifecycle/tenant-settings.ts), which the monitor reads.
         */
        onCardRevoked: Type.Union([Type.Literal('revoke-derived'), Type.Literal('flag')], {
          default: 'revoke-derived',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    audit: Type.Object(
      {
        /** Audit rows older than this are exported (JSON lines) and then dropped from the database. */
        retentionDays: Type.Integer({ minimum: 1, maximum: 36500, default: 365 }),
        /** Where the exports go; null → `audit-export/` in the data dir. */
        exportDirectory: Type.Union([FilePath, Type.Null()], { default: null }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Email and app notices to cardholders, renewal-due (issuer/notifications/). */
    notifications: NotificationsConfig,
    /** The CRL and OCSP answers the issuer publishes for its own derived certificates (issuer/lifecycle/). */
    revocation: Type.Object(
      {
        /** nextUpdate − thisUpdate of the CRL; it is regenerated at half of it, and on every revocation. */
        crlValidityHours: Type.Integer({ minimum: 1, maximum: 24 * 31, default: 24 }),
        /** How often each process looks for revocations made elsewhere (other workers, `dck admin`). */
        crlCheckSeconds: Seconds(30, 3600),
        /** nextUpdate − thisUpdate of an OCSP answer. */
        ocspValiditySeconds: Seconds(3600, 7 * 86400),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Logs and /metrics (issuer/operations/). */
    operations: Type.Object(
      {
        logLevel: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'silent'].map((level) => Type.Literal(level)),
          { default: 'info' },
        ),
        /** A file holding the token /metrics requires (`Authorization: Bearer …`); null → loopback callers only. */
        metricsBearerTokenFile: Type.Union([FilePath, Type.Null()], { default: null }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type IssuerConfig = Static<typeof IssuerConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'config-invalid';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`issuer config: ${field === '' ? '(root)' : field}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** JSON pointer `/pkiAuth/challengeLifetimeSeconds` → `pkiAuth.challengeLifetimeSeconds`. */
function fieldName(instancePath: string, extra: string | null): string {
  const parts = instancePath.split('/').filter((part) => part !== '');
  if (extra !== null) parts.push(extra);
  return parts.join('.');
}

/** Applies defaults and validates; throws ConfigError naming the first bad field. */
export function parseIssuerConfig(input: unknown): IssuerConfig {
  const caProblem = caSectionProblem((input as { ca?: unknown } | null)?.ca);
  if (caProblem !== null) throw new ConfigError(caProblem.field, caProblem.detail);
  const moved = movedNotificationSetting((input as { notifications?: unknown } | null)?.notifications);
  if (moved !== null) throw new ConfigError(moved.field, moved.detail);
  const storageProblem = storageSectionProblem((input as { storage?: unknown } | null)?.storage);
  if (storageProblem !== null) throw new ConfigError(storageProblem.field, storageProblem.detail);
  const withDefaults = Value.Default(IssuerConfigSchema, Value.Clone(input ?? {}));
  const [first] = Value.Errors(IssuerConfigSchema, withDefaults);
  if (first !== undefined) {
    const extra =
      first.keyword === 'additionalProperties'
        ? (first.params.additionalProperties[0] ?? null)
        : first.keyword === 'required'
          ? ((first.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? null)
          : null;
    const unknown = first.keyword === 'additionalProperties' || first.message === 'schema is false';
    const detail = unknown ? 'unknown setting' : first.message;
    throw new ConfigError(fieldName(first.instancePath, extra), detail);
  }
  const config = withDefaults as IssuerConfig;
  if (config.derivedCertificate.minimumLifetimeHours > config.derivedCertificate.lifetimeDays * 24) {
    throw new ConfigError('derivedCertificate.minimumLifetimeHours', 'must not exceed lifetimeDays');
  }
  const notifications = notificationsProblem(config.notifications);
  if (notifications !== null) throw new ConfigError(notifications.field, notifications.detail);
  return config;
}

export function loadIssuerConfigFile(file: string): IssuerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError('(file)', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text.length > 1_000_000) throw new ConfigError('(file)', 'larger than 1 MB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new ConfigError('(file)', `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseIssuerConfig(parsed);
}
