// A deployed kiosk's one configuration file (JSON): which issuer, how to trust its TLS certificate, the kiosk's
// name, languages, idle time, help contact, which readers to use, and the tenant's texts (organisation name per
// language, the phone app's name and store links, the help desk in person, the welcome line on derived credentials). Validated at start with a TypeBox schema, as the
// issuer's is (issuer/config.ts); a missing or bad file is a KioskConfigError naming the offending field, and the
// Electron shell shows the out-of-order screen (never the demo).
//
// Where: `--config FILE`, else $DCK_KIOSK_CONFIG, else the platform's default (kioskConfigPath()).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Type from 'typebox';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { SHOWABLE_TEXT_PATTERN } from '../../contracts/showable-text.ts';
import type { KioskConfig } from '../../contracts/kiosk-api.ts';

const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
const HttpsUrl = Type.String({ minLength: 9, maxLength: 2048, pattern: '^https://[^\\s]+$' });
/** BCP 47 language tags the renderer has a locale for look like 'en', 'nl', 'pt-BR'. */
const LANGUAGE_TAG_PATTERN = '^[a-z]{2,3}(-[A-Z]{2})?$';
const LanguageTag = Type.String({ pattern: LANGUAGE_TAG_PATTERN });
/** A tenant's text shown on the kiosk screen: bounded, and showable (no control, format or bidi characters). */
const TenantText = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: SHOWABLE_TEXT_PATTERN });
/**
 * Text per language tag, e.g. { "en": "…", "nl": "…" }. The keys are checked after the schema (`checkLanguageKeys`):
 * TypeBox lets a Record's non-matching keys through.
 */
const PerLanguage = (maxLength: number) =>
  Type.Record(LanguageTag, TenantText(maxLength), { maxProperties: 20, default: {} });

const TenantSchema = Type.Object(
  {
    /** The organisation's name in the header; per language when given (else the issuer's display name). */
    organisation: Type.Object(
      {
        name: Type.Union([TenantText(100), Type.Null()], { default: null }),
        perLanguage: PerLanguage(100),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The phone app people need: its name, and where to get it (a QR code per store on the welcome screen only). */
    phoneApp: Type.Union(
      [
        Type.Object(
          {
            name: TenantText(64),
            storeLinks: Type.Object(
              { appStore: Type.Optional(HttpsUrl), googlePlay: Type.Optional(HttpsUrl) },
              { additionalProperties: false, default: {} },
            ),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { default: null },
    ),
    /** Who helps in person, shown after "Help desk:" (instead of a web address nobody can open at a kiosk). */
    helpDesk: Type.Object(
      {
        phone: Type.Optional(TenantText(40)),
        place: Type.Optional(TenantText(100)),
        hours: Type.Optional(TenantText(100)),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The welcome screen's one line on what a derived credential is, per language (else the kiosk's own, seed 000). */
    whatIsDerivedCredential: PerLanguage(300),
  },
  { additionalProperties: false, default: {} },
);

/** The file is read whole before it is parsed: far larger than any real configuration. */
const MAX_FILE_BYTES = 64 * 1024;

export const KioskConfigFileSchema = Type.Object(
  {
    issuer: Type.Object(
      {
        /** The issuer's base URL. HTTPS only: the kiosk sends card signatures and reads one-time passwords. */
        url: HttpsUrl,
        /** PEM file with the certificate(s) the issuer's TLS certificate must chain to (not the system store). */
        caFile: FilePath,
      },
      { additionalProperties: false },
    ),
    kiosk: Type.Object(
      {
        /** The name the issuer knows this kiosk by (sessions, audit, the help desk's view). */
        name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
        /**
         * The kiosk's own Ed25519 private key (main/identity/), generated there on first start (0600), its public half
         * beside it for `dck admin kiosks add`; the kiosk signs its heartbeat with it. null: no heartbeat.
         */
        keyFile: Type.Union([FilePath, Type.Null()], { default: null }),
      },
      { additionalProperties: false },
    ),
    languages: Type.Array(LanguageTag, { minItems: 1, maxItems: 20, uniqueItems: true, default: ['en', 'nl'] }),
    /** Seconds without a touch before "Still there?". */
    idleSeconds: Type.Integer({ minimum: 15, maximum: 600, default: 60 }),
    /** Where a person gets help (shown on refusal, blocked-PIN and enrollment screens). */
    helpUrl: HttpsUrl,
    updates: Type.Object(
      {
        /** electron-updater's generic feed (latest.yml and installers); null: no updates. */
        feedUrl: Type.Union([HttpsUrl, Type.Null()], { default: null }),
        checkEveryHours: Type.Integer({ minimum: 1, maximum: 168, default: 6 }),
        /** A downloaded update installs only after the kiosk has shown its welcome screen this long. */
        installAfterIdleMinutes: Type.Integer({ minimum: 1, maximum: 240, default: 15 }),
      },
      { additionalProperties: false, default: {} },
    ),
    readers: Type.Object(
      {
        /** Use only readers whose PC/SC name contains one of these; empty: every reader. */
        nameContains: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 16, default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    tenant: TenantSchema,
  },
  { additionalProperties: false },
);
export type KioskConfigFile = Static<typeof KioskConfigFileSchema>;

export class KioskConfigError extends Error {
  readonly code = 'kiosk-config-invalid';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`kiosk config: ${field === '' ? '(root)' : field}: ${detail}`);
    this.name = 'KioskConfigError';
  }
}

/** The platform's default location, for a machine-wide install. */
export function kioskConfigPath(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const flag = argv.indexOf('--config');
  const fromFlag = flag === -1 ? undefined : argv[flag + 1];
  if (fromFlag !== undefined && fromFlag !== '') return fromFlag;
  if (env.DCK_KIOSK_CONFIG !== undefined && env.DCK_KIOSK_CONFIG !== '') return env.DCK_KIOSK_CONFIG;
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'DerivedCredentialKiosk', 'kiosk.json');
  if (platform === 'darwin') return '/Library/Application Support/DerivedCredentialKiosk/kiosk.json';
  return '/etc/derived-credential-kiosk/kiosk.json';
}

/** JSON pointer `/issuer/url` → `issuer.url`. */
function fieldName(instancePath: string, extra: string | null): string {
  const parts = instancePath.split('/').filter((part) => part !== '');
  if (extra !== null) parts.push(extra);
  return parts.join('.');
}

function firstParam(params: unknown, key: 'additionalProperties' | 'requiredProperties'): string | null {
  if (typeof params !== 'object' || params === null || !(key in params)) return null;
  const list: unknown = (params as Record<string, unknown>)[key];
  return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : null;
}

/** Applies defaults and validates; throws KioskConfigError naming the first bad field. */
export function parseKioskConfig(input: unknown): KioskConfigFile {
  const withDefaults = Value.Default(KioskConfigFileSchema, Value.Clone(input ?? {}));
  const [first] = Value.Errors(KioskConfigFileSchema, withDefaults);
  if (first !== undefined) {
    const unknown = first.keyword === 'additionalProperties';
    const extra = unknown
      ? firstParam(first.params, 'additionalProperties')
      : first.keyword === 'required'
        ? firstParam(first.params, 'requiredProperties')
        : null;
    throw new KioskConfigError(fieldName(first.instancePath, extra), unknown ? 'unknown setting' : first.message);
  }
  const config = withDefaults as KioskConfigFile;
  checkLanguageKeys(config.tenant.organisation.perLanguage, 'tenant.organisation.perLanguage');
  checkLanguageKeys(config.tenant.whatIsDerivedCredential, 'tenant.whatIsDerivedCredential');
  return config;
}

function checkLanguageKeys(texts: Readonly<Record<string, string>>, field: string): void {
  const tag = new RegExp(LANGUAGE_TAG_PATTERN);
  for (const key of Object.keys(texts)) {
    if (!tag.test(key))
      throw new KioskConfigError(`${field}.${key.slice(0, 20)}`, 'not a language tag (like en, nl or pt-BR)');
  }
}

export interface LoadedKioskConfig {
  readonly config: KioskConfigFile;
  /** The PEM text of `issuer.caFile`. */
  readonly issuerTrustPem: string;
}

function readText(file: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    throw new KioskConfigError(field, `cannot read ${file} (${code})`);
  }
  if (text.length > MAX_FILE_BYTES)
    throw new KioskConfigError(field, `${file} is larger than ${MAX_FILE_BYTES / 1024} KB`);
  return text;
}

/** Reads and validates the configuration file and the issuer trust file it names. */
export function loadKioskConfigFile(file: string): LoadedKioskConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(file, '(file)'));
  } catch (error: unknown) {
    if (error instanceof KioskConfigError) throw error;
    throw new KioskConfigError('(file)', `${file} is not JSON`);
  }
  const config = parseKioskConfig(parsed);
  const issuerTrustPem = readText(config.issuer.caFile, 'issuer.caFile');
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(issuerTrustPem)) {
    throw new KioskConfigError('issuer.caFile', `${config.issuer.caFile} holds no PEM certificate`);
  }
  return { config, issuerTrustPem };
}

/** The tenant's texts as the renderer reads them (KioskConfig), only the ones the file gives. */
export function tenantTexts(config: KioskConfigFile): Partial<KioskConfig> {
  const { organisation, phoneApp, helpDesk, whatIsDerivedCredential } = config.tenant;
  const storeLinks =
    phoneApp === null
      ? []
      : [
          ...(phoneApp.storeLinks.appStore === undefined
            ? []
            : [{ store: 'app-store' as const, url: phoneApp.storeLinks.appStore }]),
          ...(phoneApp.storeLinks.googlePlay === undefined
            ? []
            : [{ store: 'google-play' as const, url: phoneApp.storeLinks.googlePlay }]),
        ];
  return {
    ...(organisation.name === null ? {} : { displayName: organisation.name }),
    ...(Object.keys(organisation.perLanguage).length === 0 ? {} : { displayNames: organisation.perLanguage }),
    ...(phoneApp === null
      ? {}
      : { phoneApp: { name: phoneApp.name, ...(storeLinks.length === 0 ? {} : { storeLinks }) } }),
    ...(Object.keys(helpDesk).length === 0 ? {} : { helpDesk }),
    ...(Object.keys(whatIsDerivedCredential).length === 0 ? {} : { whatIsDerivedCredential }),
  };
}

/** Whether a reader is one this kiosk uses (readers.nameContains). */
export function readerFilter(config: KioskConfigFile): (reader: string) => boolean {
  const wanted = config.readers.nameContains;
  return wanted.length === 0 ? () => true : (reader) => wanted.some((part) => reader.includes(part));
}
