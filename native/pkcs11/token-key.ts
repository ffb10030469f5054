/**
 * A signing key that lives in a PKCS#11 token (an HSM, or SoftHSM2 in tests): generated there by a key ceremony,
 * then used for as long as the process runs, through a small pool of sessions that share one login.
 *
 * Why a long-lived connection (and not piv-token.ts's open-login-sign-close per call): C_Login is a synchronous
 * pkcs11js call that derives the PIN's key in the token (SoftHSM2: ~27 ms, measured) and would block the event loop
 * on every signature; once logged in, a signature costs one C_SignInit (synchronous, tens of µs) and a C_Sign that
 * pkcs11js runs on libuv's thread pool. One session can run one signing operation at a time, so concurrent
 * signatures each take a session of the pool (all sessions of an application share its login: PKCS#11 §5.6).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { rawEcdsaToDer } from './ecdsa-signature.ts';
import { call, callAsync, Pkcs11Failure } from './errors.ts';
import { chooseSlot, closeModule, login, openModule, pkcs11js } from './piv-token.ts';
import type { Handle, Module } from './piv-token.ts';

export interface TokenKeyLocation {
  /** Absolute path of the PKCS#11 module. */
  readonly modulePath: string;
  readonly tokenLabel: string;
  /** CKA_ID of the private (and public) key object. */
  readonly keyId: Uint8Array;
}

export type TokenKeyAlgorithm = 'ec-p256' | 'rsa-3072';
/** How the key signs: RSA PKCS#1 v1.5 with SHA-256 in the token, or ECDSA over a digest made here. */
export type TokenSignMechanism = { kind: 'rsa-sha256' } | { kind: 'ecdsa'; hash: 'sha256' | 'sha384' };

/** The key's protection as the token reports it (PKCS#11 §4.9 private key attributes). */
export interface TokenKeyProtection {
  readonly sensitive: boolean;
  readonly extractable: boolean;
  /** True when the key was never extractable since it was made: generated in the token, never exported. */
  readonly neverExtractable: boolean;
  readonly alwaysSensitive: boolean;
}

const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const RSA_PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01]);
/** Sessions per connection: more than the cores this service is sized for gains nothing (measured: 2 cores). */
export const DEFAULT_SESSION_COUNT = 4;

// ---- the key ceremony --------------------------------------------------------------------------------------------

/**
 * Generates a key pair in the token: the private key sensitive, never extractable, on the token, usable only to
 * sign. Refuses when an object with this CKA_ID exists (a ceremony never replaces a key). `pin` is wiped.
 * Returns the public key (SubjectPublicKeyInfo DER) and the private key's protection as the token reports it.
 */
export async function generateTokenKey(
  location: TokenKeyLocation,
  pin: Buffer,
  algorithm: TokenKeyAlgorithm,
  label: string,
): Promise<{ publicKeySpkiDer: Uint8Array; protection: TokenKeyProtection }> {
  const module = openModule(location.modulePath);
  try {
    const session = call('C_OpenSession', () =>
      module.C_OpenSession(chooseSlot(module, location), pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
    );
    try {
      login(module, session, pin);
      const id = Buffer.from(location.keyId);
      if (findObjects(module, session, [{ type: pkcs11js.CKA_ID, value: id }], 1).length > 0) {
        throw new Pkcs11Failure('key-id-in-use', 'C_FindObjects');
      }
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_LABEL, value: label },
      ];
      const privateTemplate = [
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ];
      const publicTemplate =
        algorithm === 'ec-p256'
          ? [
              ...common,
              { type: pkcs11js.CKA_VERIFY, value: true },
              { type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS },
            ]
          : [
              ...common,
              { type: pkcs11js.CKA_VERIFY, value: true },
              { type: pkcs11js.CKA_MODULUS_BITS, value: 3072 },
              { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: RSA_PUBLIC_EXPONENT },
            ];
      const mechanism = algorithm === 'ec-p256' ? pkcs11js.CKM_EC_KEY_PAIR_GEN : pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
      const keys = await callAsync('C_GenerateKeyPair', () =>
        module.C_GenerateKeyPairAsync(session, { mechanism }, publicTemplate, privateTemplate),
      );
      return {
        publicKeySpkiDer: readPublicKeySpki(module, session, keys.publicKey, algorithm),
        protection: readProtection(module, session, keys.privateKey),
      };
    } finally {
      call('C_CloseSession', () => module.C_CloseSession(session));
    }
  } finally {
    pin.fill(0);
    closeModule(module);
  }
}

export function readPublicKeySpki(
  module: Module,
  session: Handle,
  publicKey: Handle,
  algorithm: TokenKeyAlgorithm,
): Uint8Array {
  const jwk = algorithm === 'ec-p256' ? ecJwk(module, session, publicKey) : rsaJwk(module, session, publicKey);
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

function ecJwk(module: Module, session: Handle, publicKey: Handle): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  // CKA_EC_POINT is the DER OCTET STRING of the uncompressed point (PKCS#11 §2.3.3); some tokens give it bare.
  const value = attribute(module, session, publicKey, pkcs11js.CKA_EC_POINT);
  const point = value.length === 67 && value[0] === 0x04 && value[1] === 0x41 ? value.subarray(2) : value;
  if (point.length !== 65 || point[0] !== 0x04) throw new Pkcs11Failure('unsupported-key', 'C_GetAttributeValue');
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
  };
}

function rsaJwk(module: Module, session: Handle, publicKey: Handle): { kty: 'RSA'; n: string; e: string } {
  return {
    kty: 'RSA',
    n: attribute(module, session, publicKey, pkcs11js.CKA_MODULUS).toString('base64url'),
    e: attribute(module, session, publicKey, pkcs11js.CKA_PUBLIC_EXPONENT).toString('base64url'),
  };
}

// ---- the connection a service keeps --------------------------------------------------------------------------------

/** An open, logged-in connection to one key. Any Pkcs11Failure from sign() means: close it and connect again. */
export class TokenKeyConnection {
  private readonly idle: Handle[];
  private readonly waiting: Array<(session: Handle) => void> = [];
  private closed = false;

  private constructor(
    private readonly module: Module,
    private readonly sessions: Handle[],
    private readonly key: Handle,
    readonly protection: TokenKeyProtection,
    private readonly mechanism: TokenSignMechanism,
  ) {
    this.idle = [...sessions];
  }

  /** Opens `sessionCount` sessions, logs in once (`pin` is wiped before this returns) and finds the private key. */
  static open(
    location: TokenKeyLocation,
    pin: Buffer,
    mechanism: TokenSignMechanism,
    sessionCount = DEFAULT_SESSION_COUNT,
  ): TokenKeyConnection {
    let module: Module | null = null;
    try {
      const opened = openModule(location.modulePath, { threads: true });
      module = opened;
      const slot = chooseSlot(opened, location);
      const sessions = Array.from({ length: sessionCount }, () =>
        call('C_OpenSession', () => opened.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION)),
      );
      const [first] = sessions;
      if (first === undefined) throw new RangeError('a token connection needs at least one session');
      login(opened, first, pin);
      const [key] = findObjects(
        opened,
        first,
        [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_ID, value: Buffer.from(location.keyId) },
        ],
        1,
      );
      if (key === undefined) throw new Pkcs11Failure('no-private-key', 'C_FindObjects');
      const connection = new TokenKeyConnection(opened, sessions, key, readProtection(opened, first, key), mechanism);
      module = null; // owned by the connection now
      return connection;
    } finally {
      pin.fill(0);
      // C_Finalize closes every session the failed attempt opened.
      if (module !== null) closeModule(module);
    }
  }

  /** RSA: PKCS#1 v1.5 signature; EC: DER SEQUENCE { r, s }. Waits for a free session when all are busy. */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    if (this.closed) throw new Pkcs11Failure('CKR_CRYPTOKI_NOT_INITIALIZED', 'C_SignInit');
    const session = await this.takeSession();
    try {
      if (this.mechanism.kind === 'rsa-sha256') {
        call('C_SignInit', () =>
          this.module.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, this.key),
        );
        return new Uint8Array(
          await callAsync('C_Sign', () => this.module.C_SignAsync(session, Buffer.from(data), Buffer.alloc(1024))),
        );
      }
      const digest = createHash(this.mechanism.hash).update(data).digest();
      call('C_SignInit', () => this.module.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, this.key));
      return rawEcdsaToDer(
        new Uint8Array(await callAsync('C_Sign', () => this.module.C_SignAsync(session, digest, Buffer.alloc(132)))),
      );
    } finally {
      this.giveBack(session);
    }
  }

  /** Finalizes the module (which logs out and closes every session). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.idle.length = 0;
    try {
      closeModule(this.module);
    } catch (error) {
      // A token already gone cannot be finalized cleanly; the module is unloaded either way.
      void error;
    }
  }

  get sessionCount(): number {
    return this.sessions.length;
  }

  private takeSession(): Promise<Handle> {
    const session = this.idle.pop();
    if (session !== undefined) return Promise.resolve(session);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
    });
  }

  private giveBack(session: Handle): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next !== undefined) next(session);
    else this.idle.push(session);
  }
}

// ---- attributes ------------------------------------------------------------------------------------------------

export function findObjects(
  module: Module,
  session: Handle,
  template: Array<{ type: number; value: number | boolean | Buffer }>,
  max: number,
): Handle[] {
  call('C_FindObjectsInit', () => module.C_FindObjectsInit(session, template));
  try {
    return call('C_FindObjects', () => module.C_FindObjects(session, max));
  } finally {
    call('C_FindObjectsFinal', () => module.C_FindObjectsFinal(session));
  }
}

export function attribute(module: Module, session: Handle, object: Handle, type: number): Buffer {
  const [found] = call('C_GetAttributeValue', () => module.C_GetAttributeValue(session, object, [{ type }]));
  if (found?.value === undefined || !Buffer.isBuffer(found.value))
    throw new Pkcs11Failure('native-error', 'C_GetAttributeValue');
  return found.value;
}

/** CK_BBOOL attributes come back as one byte. */
function flag(module: Module, session: Handle, object: Handle, type: number): boolean {
  return attribute(module, session, object, type).some((byte) => byte !== 0);
}

export function readProtection(module: Module, session: Handle, privateKey: Handle): TokenKeyProtection {
  return {
    sensitive: flag(module, session, privateKey, pkcs11js.CKA_SENSITIVE),
    extractable: flag(module, session, privateKey, pkcs11js.CKA_EXTRACTABLE),
    neverExtractable: flag(module, session, privateKey, pkcs11js.CKA_NEVER_EXTRACTABLE),
    alwaysSensitive: flag(module, session, privateKey, pkcs11js.CKA_ALWAYS_SENSITIVE),
  };
}
