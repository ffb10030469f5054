// An issued credential is stored with its card's revocation sources (the CRL and OCSP addresses the card monitor
// checks the card at), as of that issuance; an enrollment whose CA generation was retired meanwhile completes
// nothing and stays claimable (credential-issue.postgres.test.ts runs it on PostgreSQL, where the certificate and
// its card's sources are written by one statement, and the claim and the generation's check by another).
import { describe, expect, it } from 'vitest';
import type { AuditEntryInput, NewDerivedCertificate } from '../../../../issuer/storage/issuer-storage.ts';
import {
  T0,
  awaitingPhoneEnrollment,
  openSeedSession,
  pendingDeviceAuthorization,
  seedCredential,
} from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { storagePerTest } from './storage-kinds.ts';

const storage = storagePerTest('dck-credential-issue-');

const entry = (event: string): AuditEntryInput => ({ at: T0, event, outcome: 'success', code: null, details: {} });

/** Enrollment 7 approved and awaiting its phone; the certificate its redeem would store, signed by `generation`. */
async function awaitingRedeem(generation: number): Promise<NewDerivedCertificate> {
  const cardId = await openSeedSession(storage(), 7);
  await storage().insertDeviceAuthorization(pendingDeviceAuthorization(7), entry('device-authorization'));
  const enrollment = awaitingPhoneEnrollment({
    id: 'enrollment-7',
    deviceAuthorizationId: 'device-7',
    cardId,
    kioskSessionId: 'session-7',
    otpHash: 'otp-7',
  });
  expect(await storage().approveDeviceAuthorization('device-7', enrollment, 5, entry('approve'))).toBe('approved');
  return {
    serialNumberHex: '5e07',
    cardId,
    deviceAuthorizationId: 'device-7',
    enrollmentId: 'enrollment-7',
    certificateDer: new Uint8Array([0x30, 0x00]),
    notBefore: T0,
    notAfter: T0 + 86_400_000,
    issuedAt: T0,
    device: { id: null, platform: 'Android 15', model: 'Pixel 9', source: 'confirmed-at-kiosk' },
    tenant: 'default',
    issuerGeneration: generation,
    cardRevocationSources: { crlUrls: [], ocspUrl: null },
  };
}

const newGeneration = (ca: number) =>
  storage().startIssuerGeneration(new Uint8Array([ca]), T0, 'cessationOfOperation', entry('generation'), () =>
    entry('credential-revoke'),
  );

describe('issuing a derived credential', () => {
  it("stores the certificate, active, with its card's revocation sources", async () => {
    const { serial, cardId } = await seedCredential(storage());
    expect(await storage().findDerivedCredential(serial)).toMatchObject({
      serialNumberHex: serial,
      status: 'active',
      card: { id: cardId, crlUrls: ['http://crl.example/piv.crl'], ocspUrl: null },
    });
  });

  it('is refused when its CA generation was retired meanwhile: nothing stored, the enrollment still claimable', async () => {
    expect(await newGeneration(1)).toMatchObject({ generation: 1 });
    const certificate = await awaitingRedeem(1);
    expect(await newGeneration(2)).toMatchObject({ generation: 2 });
    expect(await storage().completeEnrollment('enrollment-7', 'otp-7', certificate, entry('redeem'))).toEqual({
      completed: false,
      reason: 'generation-retired',
    });
    expect(await storage().findDerivedCertificate('5e07')).toBeNull();
    expect(await storage().findEnrollment('enrollment-7')).toMatchObject({ status: 'awaiting-phone' });
    // The live generation's CA: completed.
    expect(
      await storage().completeEnrollment(
        'enrollment-7',
        'otp-7',
        { ...certificate, issuerGeneration: 2 },
        entry('redeem'),
      ),
    ).toMatchObject({ completed: true });
    expect(await storage().findEnrollment('enrollment-7')).toMatchObject({ status: 'completed' });
  });
});
