/**
 * The PKCS#11 path to a PIV card: the same "info / verify PIN / sign with 9A" steps as our own card
 * edge, but through a middleware module (OpenSC's opensc-pkcs11.so or a vendor's), chosen by config.
 * Useful where a site mandates its vendor middleware, and as an independent cross-check of our APDUs.
 *
 * Every C_* call goes through `call()`, so any failure is a Pkcs11Failure whose code is the CKR_ name.
 * Sessions are always closed, users logged out and the library finalised in `finally`.
 *
 * Limits of pkcs11js we live with (documented so nobody is surprised):
 * - C_Login takes the PIN as a JS string, which cannot be wiped; we keep it in a Buffer until the call,
 *   create the string inside the call's argument list only, and zero the Buffer right after.
 * - Only C_Sign has an async variant (it runs on a worker thread); C_Login and object lookups are
 *   synchronous. Through OpenSC they are a few APDUs (milliseconds), short enough for the kiosk UI.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import type * as Pkcs11Types from 'pkcs11js';
import { rawEcdsaToDer } from './ecdsa-signature.ts';
import { call, callAsync, Pkcs11Failure } from './errors.ts';

// pkcs11js is CommonJS built with a spread `module.exports`, which Node's ESM loader cannot see
// named exports through; require() it and keep the package's own types.
const pkcs11js = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Types;
export type Handle = Pkcs11Types.Handle;
export type Module = Pkcs11Types.PKCS11;
export { pkcs11js };

/** OpenSC's module on Debian/Ubuntu (x86-64). */
export const OPENSC_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';
/** OpenSC maps PIV key reference 9A (PIV Authentication) to CKA_ID 01. */
export const PIV_AUTH_KEY_ID = Uint8Array.of(0x01);

export interface Pkcs11Config {
  /** Absolute path of the PKCS#11 module. */
  readonly modulePath: string;
  /** Use the token with this label; default: the first slot that holds a token. */
  readonly tokenLabel?: string;
  /** Use the token in the slot whose description starts with this PC/SC reader name. */
  readonly readerName?: string;
  /** CKA_ID of the certificate and private key; default 01 (PIV slot 9A). */
  readonly keyId?: Uint8Array;
}

export interface TokenSummary {
  readonly slotId: string;
  readonly slotDescription: string;
  readonly label: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly serialNumber: string;
  readonly loginRequired: boolean;
  readonly pinCountLow: boolean;
  readonly pinFinalTry: boolean;
  readonly pinLocked: boolean;
}

export type Pkcs11PinCheck =
  | { readonly status: 'correct' }
  /** PKCS#11 reports no counter; only "one try left" (CKF_USER_PIN_FINAL_TRY) is known, else null. */
  | { readonly status: 'wrong'; readonly triesLeft: 1 | null }
  | { readonly status: 'blocked' };

export interface Pkcs11Signature {
  readonly token: TokenSummary;
  readonly keyType: 'rsa' | 'ec';
  readonly mechanism: 'CKM_SHA256_RSA_PKCS' | 'CKM_ECDSA';
  /** PKCS#1 v1.5 signature for RSA; DER SEQUENCE { r, s } for EC. Both over SHA-256 of the data. */
  readonly signature: Uint8Array;
  readonly certificateDer: Uint8Array;
}

export async function listTokens(config: Pkcs11Config): Promise<TokenSummary[]> {
  return withModule(config, (module) => Promise.resolve(initialisedTokens(module).map(({ token }) => token)));
}

/** Reads the certificate with the configured CKA_ID; needs no PIN. */
export async function readCertificate(
  config: Pkcs11Config,
): Promise<{ token: TokenSummary; certificateDer: Uint8Array }> {
  return withSession(config, (module, session, token) =>
    Promise.resolve({
      token,
      certificateDer: readCertificateValue(module, session, keyIdOf(config)),
    }),
  );
}

/**
 * Presents the PIN once. `pin` is zero-filled before this returns, whatever happens. Refuses (without
 * sending the PIN) when the token says the next wrong PIN blocks it, unless `allowLastTry`.
 */
export async function verifyPin(
  config: Pkcs11Config,
  pin: Buffer,
  options: { allowLastTry?: boolean } = {},
): Promise<Pkcs11PinCheck> {
  try {
    return await withSession(config, (module, session, token) => {
      if (token.pinLocked) return Promise.resolve({ status: 'blocked' } as const);
      if (token.pinFinalTry && options.allowLastTry !== true) throw new Pkcs11Failure('last-try-refused', 'verify-pin');
      return Promise.resolve(loginOutcome(module, session, token.slotId, pin));
    });
  } finally {
    pin.fill(0);
  }
}

/** Logs in, signs SHA-256(data) with the configured key, logs out. `pin` is zero-filled before return. */
export async function signWithKey(config: Pkcs11Config, pin: Buffer, data: Uint8Array): Promise<Pkcs11Signature> {
  try {
    return await withSession(config, async (module, session, token) => {
      login(module, session, pin);
      try {
        const keyId = keyIdOf(config);
        const key = findOne(module, session, pkcs11js.CKO_PRIVATE_KEY, keyId, 'no-private-key');
        const certificateDer = readCertificateValue(module, session, keyId);
        const keyType = readKeyType(module, session, key);
        const signature =
          keyType === 'rsa' ? await signRsa(module, session, key, data) : await signEc(module, session, key, data);
        return {
          token,
          keyType,
          mechanism: keyType === 'rsa' ? 'CKM_SHA256_RSA_PKCS' : 'CKM_ECDSA',
          signature,
          certificateDer,
        };
      } finally {
        logout(module, session);
      }
    });
  } finally {
    pin.fill(0);
  }
}

// ---- lifecycle -------------------------------------------------------------------------------

async function withModule<T>(config: Pkcs11Config, use: (module: Module) => Promise<T>): Promise<T> {
  const module = openModule(config.modulePath);
  try {
    return await use(module);
  } finally {
    closeModule(module);
  }
}

/**
 * Loads and initialises a PKCS#11 module (a long-lived user, like the issuer's CA signer, keeps it open).
 * `threads`: calls will come from several threads at once (C_SignAsync on libuv's pool, one per session), so the
 * module must lock (CKF_OS_LOCKING_OK, PKCS#11 §5.4); without it a module may assume one thread and corrupt state.
 */
export function openModule(modulePath: string, options: { threads?: boolean } = {}): Module {
  if (!isAbsolute(modulePath) || !existsSync(modulePath)) throw new Pkcs11Failure('module-load-failed', 'load');
  const module = new pkcs11js.PKCS11();
  try {
    module.load(modulePath);
  } catch (error) {
    void error; // dlopen's text names the path and the loader; our code says it all
    throw new Pkcs11Failure('module-load-failed', 'load');
  }
  try {
    call('C_Initialize', () =>
      options.threads === true ? module.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }) : module.C_Initialize(),
    );
  } catch (error) {
    module.close();
    throw error;
  }
  return module;
}

/** C_Finalize, then unload; a finalize failure is reported after the module is unloaded anyway. */
export function closeModule(module: Module): void {
  try {
    call('C_Finalize', () => module.C_Finalize());
  } finally {
    module.close();
  }
}

async function withSession<T>(
  config: Pkcs11Config,
  use: (module: Module, session: Handle, token: TokenSummary) => Promise<T>,
): Promise<T> {
  return withModule(config, async (module) => {
    const slot = chooseSlot(module, config);
    const session = call('C_OpenSession', () => module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
    try {
      return await use(module, session, summarise(module, slot));
    } finally {
      call('C_CloseSession', () => module.C_CloseSession(session));
    }
  });
}

export function chooseSlot(
  module: Module,
  { tokenLabel, readerName }: Pick<Pkcs11Config, 'tokenLabel' | 'readerName'>,
): Handle {
  const match = initialisedTokens(module).find(
    ({ token }) =>
      (tokenLabel === undefined || token.label === tokenLabel) &&
      (readerName === undefined || token.slotDescription.startsWith(readerName)),
  );
  if (match === undefined) throw new Pkcs11Failure('no-token', 'C_GetSlotList');
  return match.slot;
}

/** Slots holding an initialised token (SoftHSM, for one, always offers an empty uninitialised slot). */
function initialisedTokens(module: Module): { slot: Handle; token: TokenSummary }[] {
  return call('C_GetSlotList', () => module.C_GetSlotList(true))
    .filter(
      (slot) =>
        (call('C_GetTokenInfo', () => module.C_GetTokenInfo(slot)).flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0,
    )
    .map((slot) => ({ slot, token: summarise(module, slot) }));
}

function summarise(module: Module, slot: Handle): TokenSummary {
  const slotInfo = call('C_GetSlotInfo', () => module.C_GetSlotInfo(slot));
  const info = call('C_GetTokenInfo', () => module.C_GetTokenInfo(slot));
  const has = (flag: number): boolean => (info.flags & flag) !== 0;
  return {
    slotId: slot.toString('hex'),
    slotDescription: slotInfo.slotDescription.trim(),
    label: info.label.trim(),
    manufacturer: info.manufacturerID.trim(),
    model: info.model.trim(),
    serialNumber: info.serialNumber.trim(),
    loginRequired: has(pkcs11js.CKF_LOGIN_REQUIRED),
    pinCountLow: has(pkcs11js.CKF_USER_PIN_COUNT_LOW),
    pinFinalTry: has(pkcs11js.CKF_USER_PIN_FINAL_TRY),
    pinLocked: has(pkcs11js.CKF_USER_PIN_LOCKED),
  };
}

// ---- PIN -----------------------------------------------------------------------------------------

export function login(module: Module, session: Handle, pin: Buffer): void {
  // The string exists only as this argument (see the module comment); the Buffer is wiped by callers.
  call('C_Login', () => module.C_Login(session, pkcs11js.CKU_USER, pin.toString('utf8')));
}

function logout(module: Module, session: Handle): void {
  call('C_Logout', () => module.C_Logout(session));
}

function loginOutcome(module: Module, session: Handle, slotId: string, pin: Buffer): Pkcs11PinCheck {
  try {
    login(module, session, pin);
  } catch (error) {
    if (!(error instanceof Pkcs11Failure)) throw error;
    if (error.code === 'CKR_PIN_LOCKED') return { status: 'blocked' };
    if (error.code !== 'CKR_PIN_INCORRECT') throw error;
    const after = summarise(module, Buffer.from(slotId, 'hex'));
    if (after.pinLocked) return { status: 'blocked' };
    return { status: 'wrong', triesLeft: after.pinFinalTry ? 1 : null };
  }
  logout(module, session);
  return { status: 'correct' };
}

// ---- objects and signing ---------------------------------------------------------------------

function keyIdOf(config: Pkcs11Config): Buffer {
  return Buffer.from(config.keyId ?? PIV_AUTH_KEY_ID);
}

function findOne(
  module: Module,
  session: Handle,
  objectClass: number,
  keyId: Buffer,
  missing: 'no-certificate' | 'no-private-key',
): Handle {
  call('C_FindObjectsInit', () =>
    module.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: objectClass },
      { type: pkcs11js.CKA_ID, value: keyId },
    ]),
  );
  try {
    const found = call('C_FindObjects', () => module.C_FindObjects(session, 1));
    const first = found[0];
    if (first === undefined) throw new Pkcs11Failure(missing, 'C_FindObjects');
    return first;
  } finally {
    call('C_FindObjectsFinal', () => module.C_FindObjectsFinal(session));
  }
}

function readCertificateValue(module: Module, session: Handle, keyId: Buffer): Uint8Array {
  const certificate = findOne(module, session, pkcs11js.CKO_CERTIFICATE, keyId, 'no-certificate');
  const [value] = call('C_GetAttributeValue', () =>
    module.C_GetAttributeValue(session, certificate, [{ type: pkcs11js.CKA_VALUE }]),
  );
  if (value?.value === undefined || !Buffer.isBuffer(value.value))
    throw new Pkcs11Failure('no-certificate', 'C_GetAttributeValue');
  return new Uint8Array(value.value);
}

function readKeyType(module: Module, session: Handle, key: Handle): 'rsa' | 'ec' {
  const [attribute] = call('C_GetAttributeValue', () =>
    module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_KEY_TYPE }]),
  );
  const raw = attribute?.value;
  const keyType = Buffer.isBuffer(raw) && raw.length > 0 ? raw.readUIntLE(0, Math.min(raw.length, 6)) : -1;
  if (keyType === pkcs11js.CKK_RSA) return 'rsa';
  if (keyType === pkcs11js.CKK_EC) return 'ec';
  throw new Pkcs11Failure('unsupported-key', 'C_GetAttributeValue');
}

async function signRsa(module: Module, session: Handle, key: Handle, data: Uint8Array): Promise<Uint8Array> {
  call('C_SignInit', () => module.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, key));
  const signature = await callAsync('C_Sign', () => module.C_SignAsync(session, Buffer.from(data), Buffer.alloc(1024)));
  return new Uint8Array(signature);
}

async function signEc(module: Module, session: Handle, key: Handle, data: Uint8Array): Promise<Uint8Array> {
  // CKM_ECDSA signs a hash the caller made; tokens rarely offer CKM_ECDSA_SHA256 (OpenSC's PIV does not).
  const digest = createHash('sha256').update(data).digest();
  call('C_SignInit', () => module.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key));
  const raw = await callAsync('C_Sign', () => module.C_SignAsync(session, digest, Buffer.alloc(132)));
  return rawEcdsaToDer(new Uint8Array(raw));
}
