// Derived credentials written straight through the storage interface (real SQLite, no HTTP, no CA): the rows a
// redeem leaves behind, for the lifecycle rules' unit tests with a fixed clock.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import type {
  AuditEntryInput,
  CardRecord,
  DeviceAuthorizationRecord,
  EnrollmentRecord,
  IssuerStorage,
  KioskSessionRecord,
} from '../../../../issuer/storage/issuer-storage.ts';

export const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;
let counter = 0;

const entry = (event: string): AuditEntryInput => ({ at: T0, event, outcome: 'success', code: null, details: {} });

/** Device authorization `device-n`, pending, its code expired at T0 + 10 min. */
export const pendingDeviceAuthorization = (n: number): DeviceAuthorizationRecord => ({
  id: `device-${n}`,
  deviceCodeHash: `dc-${n}`,
  userCodeHash: `uc-${n}`,
  clientId: 'dck-phone',
  status: 'pending',
  createdAt: T0,
  expiresAt: T0 + 600_000,
  intervalSeconds: 5,
  lastPollAt: null,
  cardId: null,
  enrollmentId: null,
  accessTokenHash: null,
  accessTokenExpiresAt: null,
  device: { platform: null, model: null, appName: null, appVersion: null },
  pairing: null,
});

/** An enrollment just approved at the kiosk, awaiting its phone (its OTP expired at T0 + 10 min). */
/** Challenge `ch-n`, unused, issued at T0 for a minute (what a PKI-AUTH sign-in uses up); returns its id. */
export async function seedChallenge(storage: IssuerStorage, n: number): Promise<string> {
  await storage.insertChallenge({
    id: `ch-${n}`,
    challenge: new Uint8Array(32),
    kioskId: null,
    createdAt: T0,
    expiresAt: T0 + 60_000,
    usedAt: null,
  });
  return `ch-${n}`;
}

/** Kiosk session `n` as a sign-in opens it (its card id comes from the sign-in), 15 minutes from T0. */
export const seedKioskSession = (n: number): Omit<KioskSessionRecord, 'cardId'> => ({
  id: `session-${n}`,
  tokenHash: `token-${n}`,
  kioskId: null,
  createdAt: T0,
  expiresAt: T0 + 900_000,
  userCodeFailures: 0,
  signedKioskId: null,
});

export const awaitingPhoneEnrollment = (
  ids: Pick<EnrollmentRecord, 'id' | 'deviceAuthorizationId' | 'cardId' | 'kioskSessionId' | 'otpHash'>,
): EnrollmentRecord => ({
  ...ids,
  status: 'awaiting-phone',
  otpExpiresAt: T0 + 600_000,
  otpFailures: 0,
  createdAt: T0,
  completedAt: null,
  derivedCertificateSerialHex: null,
  phoneFetchedAt: null,
  kioskId: null,
});

export function openTestStorage(): { storage: IssuerStorage; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'dck-lifecycle-')), 'issuer.sqlite');
  return { storage: openSqliteStorage(file, { checkpointIntervalMs: 0 }), file };
}

export interface SeedOptions {
  cardSerial?: string;
  deviceId?: string | null;
  notAfter?: number;
  issuerGeneration?: number;
  commonName?: string;
  issuedAt?: number;
  /** The cardholder's UUID and FASC-N (hex); by default unique to this seed. */
  uuid?: string;
  fascnHex?: string;
}

/**
 * Kiosk session `session-n` opened for card `card-n` on challenge `ch-n` (expired at T0 + 15 min): what a PKI-AUTH
 * leaves. The card's names default to `c0<n>` / `Holder n` with no UUID or FASC-N; returns the card's id.
 */
export async function openSeedSession(
  storage: IssuerStorage,
  n: number,
  card: Partial<Pick<CardRecord, 'serialNumberHex' | 'uuid' | 'fascnHex' | 'commonName'>> = {},
): Promise<string> {
  await seedChallenge(storage, n);
  const cardId = await storage.openKioskSession(
    `ch-${n}`,
    T0,
    {
      id: `card-${n}`,
      issuerDn: 'CN=Test PIV CA',
      serialNumberHex: `c0${n.toString(16).padStart(4, '0')}`,
      uuid: null,
      fascnHex: null,
      commonName: `Holder ${n}`,
      notAfter: T0 + 1000 * DAY,
      certificateDer: new Uint8Array([0x30, 0x00]),
      ...card,
    },
    seedKioskSession(n),
    entry('pki-auth'),
  );
  if (cardId === null) throw new Error(`seed: session ${n} not opened`);
  return cardId;
}

/** One issued credential (card, session, device authorization, enrollment, certificate); returns its serial and card id. */
export async function seedCredential(
  storage: IssuerStorage,
  options: SeedOptions = {},
): Promise<{ serial: string; cardId: string }> {
  counter += 1;
  const n = counter;
  const issuedAt = options.issuedAt ?? T0 + n;
  const cardId = await openSeedSession(storage, n, {
    serialNumberHex: options.cardSerial ?? `c0${n.toString(16).padStart(4, '0')}`,
    uuid: options.uuid ?? `6f7c1a52-3b9e-4c1d-8f00-${n.toString(16).padStart(12, '0')}`,
    fascnHex: options.fascnHex ?? `d4${n.toString(16).padStart(48, '0')}`,
    commonName: options.commonName ?? `Holder ${n}`,
  });
  await storage.insertDeviceAuthorization(pendingDeviceAuthorization(n), entry('device-authorization'));
  await storage.approveDeviceAuthorization(
    `device-${n}`,
    awaitingPhoneEnrollment({
      id: `enrollment-${n}`,
      deviceAuthorizationId: `device-${n}`,
      cardId,
      kioskSessionId: `session-${n}`,
      otpHash: `otp-${n}`,
    }),
    5,
    entry('approve'),
  );
  const serial = `5e${n.toString(16).padStart(30, '0')}`;
  const result = await storage.completeEnrollment(
    `enrollment-${n}`,
    `otp-${n}`,
    {
      serialNumberHex: serial,
      cardId,
      deviceAuthorizationId: `device-${n}`,
      enrollmentId: `enrollment-${n}`,
      certificateDer: new Uint8Array([0x30, 0x00]),
      notBefore: issuedAt,
      notAfter: options.notAfter ?? T0 + 365 * DAY,
      issuedAt,
      device: { id: options.deviceId ?? null, platform: 'Android 15', model: 'Pixel 9', source: 'confirmed-at-kiosk' },
      tenant: 'default',
      issuerGeneration: options.issuerGeneration ?? 1,
      cardRevocationSources: { crlUrls: ['http://crl.example/piv.crl'], ocspUrl: null },
    },
    entry('redeem'),
    (superseded) => ({ ...entry('credential-revoke'), code: 'superseded', details: { serialNumberHex: superseded } }),
  );
  if (!result.completed) throw new Error(`seed: not completed (${result.reason})`);
  return { serial, cardId };
}
