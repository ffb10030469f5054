// What `dck pc enroll` remembers for status, renew and remove: the issuer, the CA file to trust, this PC's id, which
// key store holds the key, and the credential. The token's user PIN lives beside it in `token-pin` (0600): the TPM,
// not the PIN, is what keeps the key on this PC (a PIN nobody types keeps it from other users' programs only as
// well as the file mode does). The directory is 0700, every file 0600, each written atomically.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Type from 'typebox';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { KEY_PROTECTION_LEVELS } from '../../contracts/issuer-api.ts';

const MAX_STATE_BYTES = 64 * 1024;
const STATE_FILE = 'state.json';
const TOKEN_PIN_FILE = 'token-pin';
/** Both PINs of a token set-up under way (pc-setup.ts prepareToken): written before it starts, gone once it ended. */
const TOKEN_SETUP_FILE = 'token-setup';
const TOKEN_SETUP_FORMAT = /^so=([0-9a-f]{32})\nuser=([0-9a-f]{32})\n$/;

const Credential = Type.Object(
  {
    keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    serialNumberHex: Type.String({ pattern: '^[0-9a-f]{2,40}$' }),
    notAfter: Type.String({ format: 'date-time', maxLength: 40 }),
    renewalDueAt: Type.String({ format: 'date-time', maxLength: 40 }),
  },
  { additionalProperties: false },
);

export const PcState = Type.Object(
  {
    version: Type.Literal(1),
    issuerUrl: Type.String({ maxLength: 2000 }),
    caFile: Type.String({ maxLength: 4096 }),
    /** This PC's own id, made at its first enroll and kept: the issuer's binding record names the device by it. */
    deviceId: Type.String({ pattern: '^pc-[0-9a-f]{16}$' }),
    store: Type.Enum(KEY_PROTECTION_LEVELS),
    /** The key store's label for this tenant (PKCS#11 label, Windows FriendlyName). */
    label: Type.String({ minLength: 1, maxLength: 64 }),
    credential: Type.Union([Credential, Type.Null()]),
    /** Credentials a renewal replaced whose revocation the issuer has not confirmed yet: retried by renew and remove. */
    retiring: Type.Array(Credential, { maxItems: 8 }),
  },
  { additionalProperties: false },
);
export type PcState = Static<typeof PcState>;

export function defaultPcStateDir(): string {
  // Windows keeps a user's settings under %APPDATA% (roaming profile); elsewhere the XDG config directory.
  const windowsConfig = process.platform === 'win32' ? process.env.APPDATA : undefined;
  const config = process.env.XDG_CONFIG_HOME ?? windowsConfig ?? join(homedir(), '.config');
  return process.env.DCK_PC_STATE_DIR ?? join(config, 'dck', 'pc');
}

export const newDeviceId = (): string => `pc-${randomBytes(8).toString('hex')}`;

export type StateLoad = { ok: true; state: PcState } | { ok: false; missing: boolean; message: string };

export async function loadPcState(dir: string): Promise<StateLoad> {
  let content: Buffer;
  try {
    content = await readFile(join(dir, STATE_FILE));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? { ok: false, missing: true, message: 'This PC is not set up: run `dck pc enroll --issuer URL --ca FILE`.' }
      : { ok: false, missing: false, message: `cannot read ${join(dir, STATE_FILE)} (${code ?? 'error'})` };
  }
  const invalid = { ok: false, missing: false, message: `${join(dir, STATE_FILE)} is not this PC's state` } as const;
  if (content.length > MAX_STATE_BYTES) return invalid;
  try {
    const parsed: unknown = JSON.parse(content.toString('utf8'));
    return Value.Check(PcState, parsed) ? { ok: true, state: parsed } : invalid;
  } catch {
    return invalid;
  }
}

export async function savePcState(dir: string, state: PcState): Promise<void> {
  await writePrivate(dir, STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * After a removal: the state goes, the token PIN stays. The token itself outlives its credentials (nothing deletes a
 * PKCS#11 token), so a later enroll on this PC needs its PIN again: without it the token is one "whose PIN this app
 * does not hold", and the PC could never be set up again.
 */
export async function removeCredentialState(dir: string): Promise<void> {
  await rm(join(dir, STATE_FILE), { force: true });
}

/** The token PIN as a fresh Buffer per call (the key store wipes each); null when none was written yet. */
export async function readTokenPin(dir: string): Promise<Buffer | null> {
  try {
    const pin = await readFile(join(dir, TOKEN_PIN_FILE));
    return pin.length >= 8 && pin.length <= 64 ? pin : null;
  } catch {
    return null;
  }
}

/** The two PINs of the token's first set-up. The caller wipes both Buffers. */
export interface TokenSetupPins {
  readonly soPin: Buffer;
  readonly userPin: Buffer;
}

const randomPin = (): string => randomBytes(16).toString('hex');

/**
 * A token set-up's PINs, written 0600 in `token-setup` before the token is touched, so a set-up cut anywhere
 * (between C_InitToken and C_InitPIN above all) is finished by the next run with the same PINs. `token-pin` is
 * written only once the token has its user PIN: its presence means "the token is set up with this PIN".
 */
export async function beginTokenSetup(dir: string): Promise<TokenSetupPins> {
  const [so, user] = [randomPin(), randomPin()];
  await writePrivate(dir, TOKEN_SETUP_FILE, `so=${so}\nuser=${user}\n`);
  return { soPin: Buffer.from(so), userPin: Buffer.from(user) };
}

/** The PINs of a set-up an earlier run did not finish; null when there is none (or the file is not one of ours). */
export async function readTokenSetup(dir: string): Promise<TokenSetupPins | null> {
  let content: Buffer;
  try {
    content = await readFile(join(dir, TOKEN_SETUP_FILE));
  } catch {
    return null;
  }
  try {
    const match = content.length <= 256 ? TOKEN_SETUP_FORMAT.exec(content.toString('latin1')) : null;
    if (match?.[1] === undefined || match[2] === undefined) return null;
    return { soPin: Buffer.from(match[1]), userPin: Buffer.from(match[2]) };
  } finally {
    content.fill(0);
  }
}

/** The token has its user PIN: it becomes `token-pin`, then the set-up's file (and its SO PIN) goes. */
export async function finishTokenSetup(dir: string, userPin: Buffer): Promise<void> {
  await writePrivate(dir, TOKEN_PIN_FILE, userPin);
  await removeTokenSetup(dir);
}

/** The set-up's PINs: after it ended, or for a token this app did not make (nobody needs its SO PIN then). */
export async function removeTokenSetup(dir: string): Promise<void> {
  await rm(join(dir, TOKEN_SETUP_FILE), { force: true });
}

/** Atomic (temp file + rename), mode 0600, in a directory created 0700. */
async function writePrivate(dir: string, name: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, target);
}
