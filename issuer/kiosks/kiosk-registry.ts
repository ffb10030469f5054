// Registering and revoking kiosks (`dck admin kiosks add|revoke`). An administrator registers each kiosk with the
// public key the kiosk generated (main/identity/kiosk-identity.ts), after comparing its fingerprint with the one the
// kiosk shows: no first-use registration, so nobody on the network can enrol a kiosk an administrator then approves
// by mistake, and a kiosk is trusted only after someone checked it in person. The key must be Ed25519.
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { Value } from 'typebox/value';
import { KioskName } from '../../contracts/issuer-api.ts';
import { kioskKeyFingerprint } from '../../contracts/kiosk-key-fingerprint.ts';
import type { IssuerStorage, KioskRecord } from '../storage/issuer-storage.ts';

export class KioskRegistryError extends Error {
  constructor(
    readonly code: 'kiosk-name-invalid' | 'kiosk-key-invalid' | 'kiosk-exists' | 'kiosk-unknown',
    message: string,
  ) {
    super(message);
    this.name = 'KioskRegistryError';
  }
}

/** A PEM public key as the kiosk writes it: Ed25519 only, else a KioskRegistryError naming the problem. */
export function parseKioskPublicKey(pem: string): Uint8Array {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KioskRegistryError('kiosk-key-invalid', 'the public key file is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new KioskRegistryError(
      'kiosk-key-invalid',
      `the kiosk key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  return new Uint8Array(key.export({ format: 'der', type: 'spki' }));
}

export async function registerKiosk(
  storage: IssuerStorage,
  name: string,
  publicKeyPem: string,
  actor: string,
  now: Date,
): Promise<KioskRecord> {
  if (!Value.Check(KioskName, name))
    throw new KioskRegistryError('kiosk-name-invalid', 'a kiosk name is 1–64 of A–Z a–z 0–9 . _ : -');
  const publicKeyDer = parseKioskPublicKey(publicKeyPem);
  const fingerprint = kioskKeyFingerprint(publicKeyDer);
  const at = now.getTime();
  const kiosk = { name, publicKeyDer, fingerprint, registeredAt: at, registeredBy: actor };
  const added = await storage.registerKiosk(kiosk, {
    at,
    event: 'kiosk-register',
    outcome: 'success',
    code: null,
    details: { kiosk: name, fingerprint, actor },
  });
  if (!added) throw new KioskRegistryError('kiosk-exists', `a kiosk named ${name} is already registered`);
  return { ...kiosk, revokedAt: null, lastSentAt: null, lastSeenAt: null, lastReportJson: null };
}

export async function revokeKiosk(storage: IssuerStorage, name: string, actor: string, now: Date): Promise<void> {
  const at = now.getTime();
  const revoked = await storage.revokeKiosk(name, at, {
    at,
    event: 'kiosk-revoke',
    outcome: 'success',
    code: null,
    details: { kiosk: name, actor },
  });
  if (!revoked) throw new KioskRegistryError('kiosk-unknown', `no active kiosk named ${name}`);
}
