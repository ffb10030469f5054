// The `ca` section of the issuer config: null (a CA made in the data dir), software key files, or a key in a
// PKCS#11 token. A union's own errors only say "matches no variant", so the variant is chosen by its key (`pkcs11`
// or not) and checked alone: the error then names the offending field (`ca.pkcs11.keyId`).
import Type from 'typebox';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

const FilePath = Type.String({ minLength: 1, maxLength: 4096 });
const ChainFiles = Type.Optional(Type.Array(FilePath, { maxItems: 5 }));

export const SoftwareCaConfig = Type.Object(
  { certificateFile: FilePath, keyFile: FilePath, chainFiles: ChainFiles },
  { additionalProperties: false },
);

export const Pkcs11CaConfig = Type.Object(
  {
    pkcs11: Type.Object(
      {
        /** Absolute path of the vendor's PKCS#11 module (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so). */
        module: Type.String({ minLength: 2, maxLength: 4096, pattern: '^/' }),
        /** CKA_LABEL of the token (PKCS#11 pads labels to 32 bytes). */
        tokenLabel: Type.String({ minLength: 1, maxLength: 32 }),
        /** CKA_ID of the key, hex (what `dck ca ceremony` printed). */
        keyId: Type.String({ minLength: 2, maxLength: 128, pattern: '^([0-9a-fA-F]{2})+$' }),
        /** The user PIN: a file (mode 0600) or an environment variable; exactly one of the two. */
        pinFile: Type.Optional(FilePath),
        pinEnv: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
        /** The CA certificate for the token's key (self-signed by the ceremony, or signed by an offline root). */
        certificateFile: FilePath,
        chainFiles: ChainFiles,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const CaConfig = Type.Union([SoftwareCaConfig, Pkcs11CaConfig, Type.Null()], { default: null });
export type CaConfig = Static<typeof CaConfig>;
export type Pkcs11CaSettings = Static<typeof Pkcs11CaConfig>['pkcs11'];

export function isPkcs11CaConfig(ca: CaConfig): ca is Static<typeof Pkcs11CaConfig> {
  return ca !== null && 'pkcs11' in ca;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstProblem(schema: TSchema, value: unknown, prefix: string): { field: string; detail: string } | null {
  const [first] = Value.Errors(schema, value);
  if (first === undefined) return null;
  const parts = [prefix, ...first.instancePath.split('/').filter((part) => part !== '')];
  const params = first.params as { additionalProperties?: string[]; requiredProperties?: string[] };
  if (first.keyword === 'additionalProperties')
    return { field: [...parts, params.additionalProperties?.[0] ?? ''].join('.'), detail: 'unknown setting' };
  if (first.keyword === 'required')
    return { field: [...parts, params.requiredProperties?.[0] ?? ''].join('.'), detail: 'is required' };
  return { field: parts.join('.'), detail: first.message };
}

/** The first thing wrong with a `ca` section, field named, or null when it is fine (or absent). */
export function caSectionProblem(ca: unknown): { field: string; detail: string } | null {
  if (ca === undefined || ca === null) return null;
  if (!isRecord(ca)) return { field: 'ca', detail: 'must be an object or null' };
  if (!('pkcs11' in ca)) return firstProblem(SoftwareCaConfig, ca, 'ca');
  const problem = firstProblem(Pkcs11CaConfig, ca, 'ca');
  if (problem !== null) return problem;
  const pkcs11 = ca.pkcs11 as Record<string, unknown>;
  const sources = ['pinFile', 'pinEnv'].filter((key) => pkcs11[key] !== undefined);
  if (sources.length !== 1) {
    return {
      field: 'ca.pkcs11.pinFile',
      detail:
        sources.length === 0
          ? 'give pinFile or pinEnv (the PIN is never in the config)'
          : 'give pinFile or pinEnv, not both',
    };
  }
  return null;
}
