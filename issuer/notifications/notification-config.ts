// The `notifications` section of the issuer config (issue 10 §5): how notices travel — language, the SMTP relay,
// the sender address, the LDAP directory, the sender's pace. Whether and when the holder is told (channels, renewal
// threshold) is the tenant's choice, kept in the database (lifecycle/tenant-settings.ts: audited, changed with
// `dck admin tenant set` on a running issuer). Secrets (SMTP and LDAP passwords) are named by a file or an
// environment variable, never written in the config; they are read when used and never logged.
import Type from 'typebox';
import type { Static } from 'typebox';
import { checkedEmailAddress } from './email-address.ts';

const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' });
const Host = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9.:\\[\\]-]+$' });
const AttributeName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]{0,63}$' });

/** Where a password comes from: a file (0600 or stricter) or an environment variable. */
const PasswordSource = {
  passwordFile: Type.Union([FilePath, Type.Null()], { default: null }),
  passwordEnv: Type.Union([EnvName, Type.Null()], { default: null }),
};

/** The languages notices are written in (messages.ts has the words of each). */
const LANGUAGE_SCHEMAS = [Type.Literal('en'), Type.Literal('nl')] as const;
export type NotificationLanguage = (typeof LANGUAGE_SCHEMAS)[number]['const'];
export const NOTIFICATION_LANGUAGES: readonly NotificationLanguage[] = LANGUAGE_SCHEMAS.map((schema) => schema.const);

export const NotificationsConfig = Type.Object(
  {
    /** The tenant's language; a directory's preferredLanguage for the person wins when it is one of these. */
    language: Type.Union([...LANGUAGE_SCHEMAS], { default: 'en' }),
    /** The sender address (From); required with smtp. */
    from: Type.Union([Type.String({ minLength: 3, maxLength: 254 }), Type.Null()], { default: null }),
    // Optional objects rather than a union with null: TypeBox fills defaults inside, and a bad field is named as
    // itself rather than as a failed union.
    smtp: Type.Optional(
      Type.Object(
        {
          host: Host,
          port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
          /** implicit: TLS from the first byte (465); starttls: required upgrade (587); none: loopback relays only. */
          tls: Type.Union([Type.Literal('implicit'), Type.Literal('starttls'), Type.Literal('none')], {
            default: 'starttls',
          }),
          /** A PEM file of the CA that signed the relay's certificate, when it is not a public one. */
          caFile: Type.Union([FilePath, Type.Null()], { default: null }),
          username: Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()], { default: null }),
          ...PasswordSource,
          /** Connect, greeting and idle limits of one delivery; well below the claim on the message (5 min). */
          timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 30 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Directory lookup of the cardholder's address when the card's certificates carry none. */
    ldap: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 8, maxLength: 2048, pattern: '^ldaps?://' }),
          bindDn: Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()], { default: null }),
          ...PasswordSource,
          baseDn: Type.String({ minLength: 1, maxLength: 1024 }),
          uuidAttribute: Type.Union([AttributeName, Type.Null()], { default: 'employeeNumber' }),
          fascnAttribute: Type.Union([AttributeName, Type.Null()], { default: null }),
          mailAttribute: { ...AttributeName, default: 'mail' },
          languageAttribute: Type.Union([AttributeName, Type.Null()], { default: 'preferredLanguage' }),
          caFile: Type.Union([FilePath, Type.Null()], { default: null }),
          timeoutSeconds: Type.Integer({ minimum: 1, maximum: 60, default: 10 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** How often one process (a lease) queues renewal-due messages and sends what is due. */
    sendIntervalSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
    /** Attempts per message before it is given up (audited); waits double from retryBaseSeconds up to retryMaxSeconds. */
    maxAttempts: Type.Integer({ minimum: 1, maximum: 50, default: 12 }),
    retryBaseSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 60 }),
    retryMaxSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86400, default: 6 * 3600 }),
  },
  { additionalProperties: false, default: {} },
);
export type NotificationsSettings = Static<typeof NotificationsConfig>;

/**
 * Settings that left this section for the tenant settings, and where they went. A config that still sets one is
 * refused (not imported): importing once would leave a line in the config that no longer means anything after the
 * first `dck admin tenant set`, and with `--workers` several processes would race to import it. A refusal that
 * names the command is one clear step for the operator, and the config then says only what it governs.
 */
const MOVED_TO_TENANT_SETTINGS = {
  channels: 'the tenant setting notificationTypes: dck admin tenant set --notifications none|email|app|both',
  renewalThresholdPercent: 'the tenant setting renewalThresholdPercent: dck admin tenant set --renewal-threshold N',
} as const;

/** The first moved setting a raw (unparsed) config still sets, as `{ field, detail }`, or null. */
export function movedNotificationSetting(rawNotifications: unknown): { field: string; detail: string } | null {
  if (typeof rawNotifications !== 'object' || rawNotifications === null) return null;
  for (const [name, whereNow] of Object.entries(MOVED_TO_TENANT_SETTINGS)) {
    if (Object.hasOwn(rawNotifications, name))
      return { field: `notifications.${name}`, detail: `no longer a config setting: it moved to ${whereNow}` };
  }
  return null;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The cross-field rules TypeBox cannot say; the first problem as `{ field, detail }`, or null. */
export function notificationsProblem(settings: NotificationsSettings): { field: string; detail: string } | null {
  const at = (field: string, detail: string) => ({ field: `notifications.${field}`, detail });
  if (settings.from !== null && checkedEmailAddress(settings.from) === null)
    return at('from', 'not a plain mail address');
  if (settings.retryMaxSeconds < settings.retryBaseSeconds)
    return at('retryMaxSeconds', 'must not be below retryBaseSeconds');
  const { smtp, ldap } = settings;
  if (smtp !== undefined) {
    if (smtp.passwordFile !== null && smtp.passwordEnv !== null)
      return at('smtp.passwordEnv', 'give passwordFile or passwordEnv, not both');
    if (smtp.username !== null && smtp.passwordFile === null && smtp.passwordEnv === null) {
      return at(
        'smtp.passwordFile',
        'a username needs passwordFile or passwordEnv (the password is never in the config)',
      );
    }
    // A password or a notice must not cross a network in clear: plain SMTP only to a relay on this machine.
    if (smtp.tls === 'none' && !LOOPBACK_HOSTS.has(smtp.host))
      return at('smtp.tls', '"none" only for a relay on loopback');
  }
  if (ldap !== undefined) {
    if (ldap.passwordFile !== null && ldap.passwordEnv !== null)
      return at('ldap.passwordEnv', 'give passwordFile or passwordEnv, not both');
    if (ldap.bindDn !== null && ldap.passwordFile === null && ldap.passwordEnv === null) {
      return at(
        'ldap.passwordFile',
        'a bindDn needs passwordFile or passwordEnv (the password is never in the config)',
      );
    }
    if (ldap.uuidAttribute === null && ldap.fascnAttribute === null)
      return at('ldap.uuidAttribute', 'give uuidAttribute or fascnAttribute');
  }
  // Whether email is sent is the tenant's setting (it can change while the issuer runs); the relay needs a sender.
  if (smtp !== undefined && settings.from === null) return at('from', 'required with smtp');
  return null;
}
