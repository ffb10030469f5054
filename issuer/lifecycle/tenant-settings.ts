// The tenant's settings (seed 003 "Set up a derived credential issuer"): kept in the database so every change is
// audited (who, what, before → after) and reaches every issuer process; the config file gives the starting values.
// None of them is secret. The eligibility monitor reads `onCardRevoked`, notifications read `notificationTypes` and
// `renewalThresholdPercent` (their one source: the config's `notifications` section keeps only the transports);
// the issuer reads the display name, help URL and lifetime (`tenantSettingsReader`).
import type { IssuerConfig } from '../config.ts';
import type { IssuerStorage } from '../storage/issuer-storage.ts';
import { isTypedText } from '../typed-text.ts';
import type { LifecycleActor } from './credential-state.ts';

export const NOTIFICATION_TYPES = ['none', 'email', 'app', 'both'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
/** The holder is mailed (the config's notifications.smtp and from say how). */
export const sendsEmail = (types: NotificationType): boolean => types === 'email' || types === 'both';
/** The phone's status route shows renewal-due (`dck phone status`). */
export const showsInApp = (types: NotificationType): boolean => types === 'app' || types === 'both';
/** The renewal threshold when nobody set one (seed 003: Intune notifies at 80% of the lifetime). */
export const DEFAULT_RENEWAL_THRESHOLD_PERCENT = 80;
/** `revoke-derived`: a revoked card revokes its derived credentials; `flag`: recorded and notified only (800-157r1). */
export const CARD_REVOCATION_POLICIES = ['revoke-derived', 'flag'] as const;
/** `refuse`: a PC whose key is not in its TPM gets no derived credential (`dck pc enroll`, issuer/pc/). */
export const SOFTWARE_KEY_POLICIES = ['allow', 'refuse'] as const;
/** `agent-affirms`: a redeem waits until a help-desk agent affirms the phone's key fingerprint (issue 13). */
export const SUPERVISION_POLICIES = ['none', 'agent-affirms'] as const;
/** `required`: a kiosk call that starts an enrollment must carry its registered key's signature (issuer/kiosks/). */
export const KIOSK_SIGNATURE_POLICIES = ['optional', 'required'] as const;

export interface TenantSettings {
  /** For administrators; not shown to users. */
  displayName: string;
  /** Shown to users. */
  helpUrl: string | null;
  notificationTypes: NotificationType;
  /** Percent of a derived credential's lifetime after which it is renewal-due. */
  renewalThresholdPercent: number;
  derivedCertificateLifetimeDays: number;
  onCardRevoked: (typeof CARD_REVOCATION_POLICIES)[number];
  pcSoftwareKeys: (typeof SOFTWARE_KEY_POLICIES)[number];
  /** Four eyes (MyID's "Validate Cancellation"): an agent's revocation waits for another agent, an approver. */
  validateCancellation: boolean;
  supervision: (typeof SUPERVISION_POLICIES)[number];
  kioskSignatures: (typeof KIOSK_SIGNATURE_POLICIES)[number];
}

export type TenantSettingName = keyof TenantSettings;

export class TenantSettingError extends Error {
  readonly code = 'tenant-setting-invalid';
  constructor(
    readonly setting: string,
    detail: string,
  ) {
    super(`${setting}: ${detail}`);
    this.name = 'TenantSettingError';
  }
}

export function defaultTenantSettings(config: IssuerConfig): TenantSettings {
  return {
    displayName: config.displayName,
    helpUrl: config.helpUrl,
    // App notices only until an administrator chooses: email needs a mail relay in the config, which a new issuer
    // (the kiosk's embedded one) does not have. The same default the config's `notifications.channels` had.
    notificationTypes: 'app',
    renewalThresholdPercent: DEFAULT_RENEWAL_THRESHOLD_PERCENT,
    derivedCertificateLifetimeDays: config.derivedCertificate.lifetimeDays,
    onCardRevoked: config.eligibility.onCardRevoked,
    // Allowed by default so that a PC without a TPM can be set up; a tenant that wants hardware keys only says so.
    pcSoftwareKeys: 'allow',
    validateCancellation: false,
    supervision: 'none',
    // Optional until an administrator has registered every kiosk (`dck admin kiosks add`): a deployment from before
    // kiosk identities keeps working; a signed call is checked either way.
    kioskSignatures: 'optional',
  };
}

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (text: string, name: string): T => {
    const found = values.find((value) => value === text);
    if (found === undefined) throw new TenantSettingError(name, `one of ${values.join(', ')}`);
    return found;
  };
const wholeNumber =
  (min: number, max: number) =>
  (text: string, name: string): number => {
    if (!/^[0-9]{1,5}$/.test(text) || Number(text) < min || Number(text) > max)
      throw new TenantSettingError(name, `a whole number from ${min} to ${max}`);
    return Number(text);
  };

/** Each setting's reader of the text an administrator types; each throws TenantSettingError with the rule. */
const PARSERS: { [K in TenantSettingName]: (text: string, name: string) => TenantSettings[K] } = {
  displayName: (text, name) => {
    if (!isTypedText(text, { min: 1, max: 200 })) throw new TenantSettingError(name, '1–200 printable characters');
    return text;
  },
  helpUrl: (text, name) => {
    if (text === 'none') return null;
    if (text.length > 2048 || !/^https:\/\/[\x21-\x7e]+$/.test(text) || !URL.canParse(text))
      throw new TenantSettingError(name, 'an https:// URL (or none)');
    return text;
  },
  notificationTypes: oneOf(NOTIFICATION_TYPES),
  renewalThresholdPercent: wholeNumber(50, 99),
  derivedCertificateLifetimeDays: wholeNumber(1, 3650),
  onCardRevoked: oneOf(CARD_REVOCATION_POLICIES),
  pcSoftwareKeys: oneOf(SOFTWARE_KEY_POLICIES),
  validateCancellation: (text, name) => oneOf(['on', 'off'] as const)(text, name) === 'on',
  supervision: oneOf(SUPERVISION_POLICIES),
  kioskSignatures: oneOf(KIOSK_SIGNATURE_POLICIES),
};

export const TENANT_SETTING_NAMES = Object.keys(PARSERS) as TenantSettingName[];

function isSettingName(name: string): name is TenantSettingName {
  return Object.hasOwn(PARSERS, name);
}

/** Stored values over the defaults; a stored value that no longer parses is ignored (the default stands). */
export async function readTenantSettings(
  storage: Pick<IssuerStorage, 'readTenantSettings'>,
  config: IssuerConfig,
): Promise<TenantSettings> {
  const settings: Record<string, unknown> = { ...defaultTenantSettings(config) };
  for (const [name, stored] of Object.entries(await storage.readTenantSettings())) {
    if (!isSettingName(name)) continue;
    try {
      settings[name] = PARSERS[name](JSON.parse(stored) as string, name);
    } catch {
      // Keep the default: a hand-edited database must not stop the issuer.
    }
  }
  return settings as unknown as TenantSettings;
}

/**
 * Changes settings (name → text as typed), all or none, with one audit row naming each change's before and after.
 * @throws TenantSettingError for an unknown name or a value its rule refuses (nothing changed)
 */
export async function changeTenantSettings(
  storage: IssuerStorage,
  config: IssuerConfig,
  changes: Record<string, string>,
  actor: LifecycleActor,
  at: Date,
): Promise<TenantSettings> {
  const before = await readTenantSettings(storage, config);
  const parsed: Record<string, string> = {};
  const details: Record<string, string | number | boolean | null> = { actorKind: actor.kind, actor: actor.id };
  for (const [name, text] of Object.entries(changes)) {
    if (!isSettingName(name))
      throw new TenantSettingError(name, `not a tenant setting (${TENANT_SETTING_NAMES.join(', ')})`);
    const value = PARSERS[name](text, name);
    parsed[name] = JSON.stringify(text);
    details[`${name}.before`] = before[name];
    details[`${name}.after`] = value;
  }
  if (Object.keys(parsed).length === 0) throw new TenantSettingError('(none)', 'name at least one setting to change');
  await storage.writeTenantSettings(parsed, at.getTime(), {
    at: at.getTime(),
    event: 'tenant-settings',
    outcome: 'success',
    code: null,
    details,
  });
  return readTenantSettings(storage, config);
}

/** The settings as the issuer uses them, re-read at most every `maxAgeMs` (changes come from `dck admin` too). */
export function tenantSettingsReader(
  storage: IssuerStorage,
  config: IssuerConfig,
  maxAgeMs = 5_000,
): () => Promise<TenantSettings> {
  let cached: { at: number; settings: Promise<TenantSettings> } | null = null;
  return () => {
    const now = Date.now();
    if (cached === null || now - cached.at > maxAgeMs) {
      const settings = readTenantSettings(storage, config);
      cached = { at: now, settings };
      settings.catch(() => {
        cached = null;
      });
    }
    return cached.settings;
  };
}
