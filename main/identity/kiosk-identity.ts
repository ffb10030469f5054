// The kiosk's own identity: its name (from its configuration) and an Ed25519 key pair generated once into the key
// file its configuration names (kiosk.keyFile). The private key file is created 0600 and never overwritten; the
// public key is written beside it (`<key file>.pub.pem`) for the administrator (`dck admin kiosks add --name NAME
// --public-key FILE`), who compares its fingerprint with the one the kiosk logs at start. The private key stays a KeyObject in this process: it signs heartbeats
// (main/heartbeat/) and is never logged, sent or shown.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { kioskKeyFingerprint } from '../../contracts/kiosk-key-fingerprint.ts';

/** Where the public half goes: beside the private key file. */
export const kioskPublicKeyFile = (privateKeyFile: string): string => `${privateKeyFile}.pub.pem`;

export interface KioskIdentity {
  readonly name: string;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
  /** Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array;
}

export class KioskIdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KioskIdentityError';
  }
}

/** Loads the kiosk's key pair from `privateFile`, generating it on first use. */
export function loadOrCreateKioskIdentity(privateFile: string, name: string): KioskIdentity {
  if (!existsSync(privateFile)) generateInto(privateFile);
  // Someone else able to read the key could act as this kiosk: refuse to use it rather than carry on.
  if ((statSync(privateFile).mode & 0o077) !== 0)
    throw new KioskIdentityError(`${privateFile} is readable by others: make it 0600 (or remove it to make a new key)`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: readFileSync(privateFile), format: 'pem' });
  } catch {
    throw new KioskIdentityError(`${privateFile} is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new KioskIdentityError(`${privateFile} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  writeFileSync(kioskPublicKeyFile(privateFile), publicKeyPem, { mode: 0o644 });
  return {
    name,
    publicKeyPem,
    fingerprint: kioskKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' })),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

function generateInto(privateFile: string): void {
  mkdirSync(dirname(privateFile), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  // 'wx' + 0600 at creation: never readable by others, never overwriting a key another start made meanwhile.
  const descriptor = openSync(privateFile, 'wx', 0o600);
  try {
    writeSync(descriptor, pem);
  } finally {
    closeSync(descriptor);
  }
}
