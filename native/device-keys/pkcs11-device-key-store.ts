/**
 * The Linux driver: a DeviceKeyStore over a PKCS#11 token the PC owns. With tpm2-pkcs11 the key is made inside the
 * TPM (protection 'tpm'); with SoftHSM2 it is a file on disk the token's API will not export ('software', for PCs
 * without a TPM, which tenant policy may refuse). The token is dedicated to this app: every private key on it is
 * a device credential.
 *
 * Every operation opens the module, logs in, works and finalizes (piv-token.ts's pattern): the app touches the
 * token a few times a year, and tpm2-pkcs11 holds a connection to the TPM for as long as the module is initialised.
 * The token PIN comes from `tokenPin()` as a fresh Buffer per use and is wiped by the calls that take it.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { Certificate } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { rawEcdsaToDer } from '../pkcs11/ecdsa-signature.ts';
import { call, callAsync, Pkcs11Failure } from '../pkcs11/errors.ts';
import { chooseSlot, closeModule, login, openModule, pkcs11js } from '../pkcs11/piv-token.ts';
import type { Handle, Module } from '../pkcs11/piv-token.ts';
import { attribute, findObjects, readProtection, readPublicKeySpki } from '../pkcs11/token-key.ts';
import { buildCertificationRequest } from './certification-request.ts';
import type {
  DeviceCredential,
  DeviceKeyProtection,
  DeviceKeyRequest,
  DeviceKeyStore,
  GeneratedDeviceKey,
} from './device-key-store.ts';
import { DeviceKeyError } from './errors.ts';
import type { DeviceKeyErrorCode } from './errors.ts';
import { checkStoreText } from './store-text.ts';

export interface Pkcs11DeviceKeyStoreOptions {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly protection: DeviceKeyProtection;
  /** A fresh copy of the device token's user PIN per call; the store wipes it. */
  readonly tokenPin: () => Buffer;
}

/** Key ids are random: two enrollments (a renewal beside the old credential) never collide. */
const KEY_ID_BYTES = 8;
const KEY_ID = /^[0-9a-f]{16}$/;

/** A fresh key id (lower-case hex, as GeneratedDeviceKey.keyId). */
export const newKeyId = (): string => randomBytes(KEY_ID_BYTES).toString('hex');

export class Pkcs11DeviceKeyStore implements DeviceKeyStore {
  readonly platform = 'linux';

  constructor(private readonly options: Pkcs11DeviceKeyStoreOptions) {}

  get protection(): DeviceKeyProtection {
    return this.options.protection;
  }

  generateKey(request: DeviceKeyRequest): Promise<GeneratedDeviceKey> {
    return this.generateKeyWithId(newKeyId(), request);
  }

  /**
   * generateKey with the id chosen by the caller: the store process's parent (store-process.ts) knows the id of a
   * key whose generation it had to cut off, so it can delete it. @throws DeviceKeyError
   */
  async generateKeyWithId(keyIdHex: string, request: DeviceKeyRequest): Promise<GeneratedDeviceKey> {
    checkStoreText(request.commonName);
    checkStoreText(request.label);
    const keyId = parseKeyId(keyIdHex);
    // Generation and the CSR's signature share one module initialisation: without a TPM resource manager every
    // tpm2-pkcs11 C_Initialize leaves objects loaded in the TPM (swtpm ran out of object memory after three).
    const made = await this.withLogin(async (module, session) => {
      const keys = await callAsync('C_GenerateKeyPair', () =>
        module.C_GenerateKeyPairAsync(
          session,
          { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
          publicKeyTemplate(keyId, request.label),
          privateKeyTemplate(keyId, request.label),
        ),
      );
      try {
        const protection = readProtection(module, session, keys.privateKey);
        // The token's word, checked, not assumed: a module that ignored the template must not pass as a safe key.
        if (!protection.sensitive || protection.extractable || !protection.neverExtractable) {
          throw new DeviceKeyError('store-failed', 'C_GenerateKeyPair: key is extractable');
        }
        const publicKeySpkiDer = readPublicKeySpki(module, session, keys.publicKey, 'ec-p256');
        const csrDer = await buildCertificationRequest(request.commonName, publicKeySpkiDer, async (info) => {
          call('C_SignInit', () => module.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, keys.privateKey));
          const digest = createHash('sha256').update(info).digest();
          return rawEcdsaToDer(
            new Uint8Array(await callAsync('C_Sign', () => module.C_SignAsync(session, digest, Buffer.alloc(132)))),
          );
        });
        return { publicKeySpkiDer, csrDer };
      } catch (error) {
        // A key without its request is of no use to anyone: it goes before the caller hears of the failure.
        destroy(module, session, keys.privateKey);
        destroy(module, session, keys.publicKey);
        throw error;
      }
    });
    return { keyId: keyId.toString('hex'), ...made, protection: this.options.protection };
  }

  async install(keyId: string, certificateDer: Uint8Array, chainDer: readonly Uint8Array[]): Promise<void> {
    const leaf = parseCertificate(certificateDer);
    const chain = chainDer.map(parseCertificate);
    await this.withLogin((module, session) => {
      const id = parseKeyId(keyId);
      const [publicKey] = findObjects(
        module,
        session,
        [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
          { type: pkcs11js.CKA_ID, value: id },
        ],
        1,
      );
      if (publicKey === undefined) throw new DeviceKeyError('no-such-key', 'C_FindObjects');
      const keySpki = Buffer.from(readPublicKeySpki(module, session, publicKey, 'ec-p256'));
      if (!keySpki.equals(Buffer.from(leaf.x509.publicKey.export({ type: 'spki', format: 'der' })))) {
        throw new DeviceKeyError('certificate-key-mismatch', 'install');
      }
      const label = attribute(module, session, publicKey, pkcs11js.CKA_LABEL).toString('utf8');
      const created: Handle[] = [];
      try {
        for (const old of findObjects(module, session, certificateTemplate(id), 4)) destroy(module, session, old);
        created.push(createCertificate(module, session, leaf, id, label));
        for (const authority of chain) {
          const authorityId = caObjectId(authority.der);
          // One CA object serves every credential it issued; a renewal finds it there already.
          if (findObjects(module, session, certificateTemplate(authorityId), 1).length > 0) continue;
          created.push(
            createCertificate(
              module,
              session,
              authority,
              authorityId,
              `${label} CA ${authority.x509.subject.split('\n').join(', ')}`.slice(0, 128),
            ),
          );
        }
      } catch (error) {
        // Nothing half-installed: what this call created goes again.
        for (const object of created) destroy(module, session, object);
        throw error;
      }
    });
  }

  sign(keyId: string, message: Uint8Array): Promise<Uint8Array> {
    return this.withLogin(async (module, session) => {
      const [key] = findObjects(
        module,
        session,
        [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_ID, value: parseKeyId(keyId) },
        ],
        1,
      );
      if (key === undefined) throw new DeviceKeyError('no-such-key', 'C_FindObjects');
      call('C_SignInit', () => module.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key));
      const digest = createHash('sha256').update(message).digest();
      // CKM_ECDSA answers r ‖ s (PKCS#11 §2.3.1), 64 bytes for P-256: the form the issuer verifies.
      return new Uint8Array(await callAsync('C_Sign', () => module.C_SignAsync(session, digest, Buffer.alloc(132))));
    });
  }

  list(): Promise<DeviceCredential[]> {
    return this.withLogin((module, session) =>
      findObjects(module, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }], 256).map((key) => {
        const id = attribute(module, session, key, pkcs11js.CKA_ID);
        const [certificate] = findObjects(module, session, certificateTemplate(id), 1);
        return {
          keyId: id.toString('hex'),
          label: attribute(module, session, key, pkcs11js.CKA_LABEL).toString('utf8'),
          protection: this.options.protection,
          certificateDer:
            certificate === undefined
              ? null
              : new Uint8Array(attribute(module, session, certificate, pkcs11js.CKA_VALUE)),
        };
      }),
    );
  }

  delete(keyId: string): Promise<void> {
    return this.withLogin((module, session) => {
      const objects = findObjects(module, session, [{ type: pkcs11js.CKA_ID, value: parseKeyId(keyId) }], 8);
      if (objects.length === 0) throw new DeviceKeyError('no-such-key', 'C_FindObjects');
      for (const object of objects) destroy(module, session, object);
    });
  }

  /** Opens the module, a read-write session and a login; always logs out, closes and finalizes. */
  private async withLogin<T>(use: (module: Module, session: Handle) => T | Promise<T>): Promise<T> {
    return storeCall(async () => {
      const pin = this.options.tokenPin();
      try {
        const module = openModule(this.options.modulePath);
        try {
          const session = call('C_OpenSession', () =>
            module.C_OpenSession(
              chooseSlot(module, this.options),
              pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION,
            ),
          );
          login(module, session, pin);
          pin.fill(0);
          return await use(module, session);
        } finally {
          closeModule(module); // logs out and closes the session
        }
      } finally {
        pin.fill(0);
      }
    });
  }
}

interface ParsedCertificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  readonly asn1: Certificate;
}

function parseCertificate(der: Uint8Array): ParsedCertificate {
  try {
    const buffer = Buffer.from(der);
    return { der: buffer, x509: new X509Certificate(buffer), asn1: AsnConvert.parse(buffer, Certificate) };
  } catch (error) {
    void error; // the parser's text describes bytes we were sent; the code says what matters
    throw new DeviceKeyError('bad-certificate', 'install');
  }
}

function parseKeyId(keyId: string): Buffer {
  if (!KEY_ID.test(keyId)) throw new DeviceKeyError('no-such-key', 'key id');
  return Buffer.from(keyId, 'hex');
}

/** CA certificates on the token get an id from their content, distinct from any 8-byte device key id. */
function caObjectId(der: Buffer): Buffer {
  return createHash('sha256').update(der).digest().subarray(0, 20);
}

function certificateTemplate(id: Buffer): Array<{ type: number; value: number | Buffer }> {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
    { type: pkcs11js.CKA_ID, value: id },
  ];
}

/** A certificate object as NSS and OpenSC look it up: subject, issuer and serial as DER, beside the value. */
function createCertificate(
  module: Module,
  session: Handle,
  certificate: ParsedCertificate,
  id: Buffer,
  label: string,
): Handle {
  const tbs = certificate.asn1.tbsCertificate;
  return call('C_CreateObject', () =>
    module.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_SUBJECT, value: Buffer.from(AsnConvert.serialize(tbs.subject)) },
      { type: pkcs11js.CKA_ISSUER, value: Buffer.from(AsnConvert.serialize(tbs.issuer)) },
      { type: pkcs11js.CKA_SERIAL_NUMBER, value: derInteger(new Uint8Array(tbs.serialNumber)) },
      { type: pkcs11js.CKA_VALUE, value: certificate.der },
    ]),
  );
}

const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

// Only what the key is for: tpm2-pkcs11 refuses a template whose usage flags differ from the TPM object it makes
// ("attr mismatch" with CKA_DECRYPT/CKA_DERIVE set false, measured), so the usage beyond signing is left to it.
function publicKeyTemplate(id: Buffer, label: string): Array<{ type: number; value: boolean | Buffer | string }> {
  return [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_VERIFY, value: true },
    { type: pkcs11js.CKA_EC_PARAMS, value: P256_PARAMS },
  ];
}

function privateKeyTemplate(id: Buffer, label: string): Array<{ type: number; value: boolean | Buffer | string }> {
  return [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: id },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ];
}

/** CKA_SERIAL_NUMBER is the DER encoding of the INTEGER (PKCS#11 §4.6.3); serials are at most 20 bytes (RFC 5280). */
function derInteger(content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(0x02, content.length), content]);
}

function destroy(module: Module, session: Handle, object: Handle): void {
  call('C_DestroyObject', () => module.C_DestroyObject(session, object));
}

/** Runs a token operation and turns a Pkcs11Failure into the store's own words. */
async function storeCall<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!(error instanceof Pkcs11Failure)) throw error;
    throw deviceKeyErrorOf(error);
  }
}

/** The store's words for what the PKCS#11 module said; the detail keeps the call and its CKR_ name. */
export function deviceKeyErrorOf(failure: Pkcs11Failure): DeviceKeyError {
  return new DeviceKeyError(storeCode(failure), `${failure.operation}: ${failure.code}`);
}

/** What the module's answers mean for the person at the PC; anything not here is a plain store failure. */
const STORE_CODES: Readonly<Record<string, DeviceKeyErrorCode>> = {
  CKR_PIN_INCORRECT: 'store-pin-incorrect',
  CKR_PIN_LOCKED: 'store-pin-incorrect',
  CKR_PIN_LEN_RANGE: 'store-pin-incorrect',
  'module-load-failed': 'no-platform-store',
  'no-token': 'no-platform-store',
  CKR_TOKEN_NOT_PRESENT: 'no-platform-store',
  CKR_DEVICE_REMOVED: 'no-platform-store',
  CKR_TOKEN_NOT_RECOGNIZED: 'no-platform-store',
  CKR_DEVICE_MEMORY: 'store-full',
  CKR_HOST_MEMORY: 'store-full',
  CKR_SESSION_COUNT: 'store-busy',
  CKR_FUNCTION_CANCELED: 'store-busy',
  'no-private-key': 'no-such-key',
};

function storeCode(failure: Pkcs11Failure): DeviceKeyErrorCode {
  // tpm2-pkcs11 answers C_Initialize with CKR_GENERAL_ERROR when no TPM answers its TCTI (measured with swtpm down).
  return STORE_CODES[failure.code] ?? (failure.operation === 'C_Initialize' ? 'no-platform-store' : 'store-failed');
}
