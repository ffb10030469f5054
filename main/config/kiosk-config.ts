// A deployed kiosk's one configuration file (JSON): which issuer, how to trust its TLS certificate, the kiosk's
// name, languages, idle time, help contact, which readers to use. Validated at start with a TypeBox schema, as the
// issuer's is (issuer/config.ts); a missing or bad file is a KioskConfigError naming the offending field, and the
// Electron shell shows the out-of-order screen (never the demo).
//
// Where: `--config FILE`, else $DCK_KIOSK_CONFIG, else the platform's default (kioskConfigPath()).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Type from 'typebox';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';

const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
const HttpsUrl = Type.String({ minLength: 9, maxLength: 2048, pattern: '^https://[^\\s]+$' });
/** BCP 47 language tags the renderer has a locale for look like 'en', 'nl', 'pt-BR'. */
const LanguageTag = Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$' });
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
        /** Reserved for the kiosk's own key (the agent issue): the kiosk will authenticate itself with it. */
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
    const extra = unknown ? firstParam(first.params, 'additionalProperties') : first.keyword === 'required' ? firstParam(first.params, 'requiredProperties') : null;
    throw new KioskConfigError(fieldName(first.instancePath, extra), unknown ? 'unknown setting' : first.message);
  }
  return withDefaults as KioskConfigFile;
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
  if (text.length > MAX_FILE_BYTES) throw new KioskConfigError(field, `${file} is larger than ${MAX_FILE_BYTES / 1024} KB`);
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

/** Whether a reader is one this kiosk uses (readers.nameContains). */
export function readerFilter(config: KioskConfigFile): (reader: string) => boolean {
  const wanted = config.readers.nameContains;
  return wanted.length === 0 ? () => true : (reader) => wanted.some((part) => reader.includes(part));
}
