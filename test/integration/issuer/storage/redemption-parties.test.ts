// The redeem's look-ups read together (`findRedemptionParties`) give exactly what the three single reads give
// (redemption-parties.postgres.test.ts runs it on PostgreSQL, where it is one join whose column lists are written
// out in postgres-redemption.ts). A column a row mapper reads but the join leaves out would reach the mapper as
// undefined and come back as '' or NaN, silently: an access token's expiry of NaN never expires. Strict equality with
// the single reads catches any such column, whatever its value (undefined is not null, NaN is not a number).
import { describe, expect, it } from 'vitest';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';
import {
  T0,
  awaitingPhoneEnrollment,
  openSeedSession,
  pendingDeviceAuthorization,
} from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { storagePerTest } from './storage-kinds.ts';

const entry = (event: string): AuditEntryInput => ({ at: T0, event, outcome: 'success', code: null, details: {} });

const storage = storagePerTest('dck-redemption-');

/** Card 1's session approves device 1 (its phone's details reported, shown at the kiosk), which gets its token. */
async function enrollmentWithToken(): Promise<{ enrollmentId: string; cardId: string }> {
  const cardId = await openSeedSession(storage(), 1, {
    uuid: '6f7c1a52-3b9e-4c1d-8f00-000000000001',
    fascnHex: 'd401',
  });
  await storage().insertDeviceAuthorization(
    {
      ...pendingDeviceAuthorization(1),
      device: { platform: 'Android 15', model: 'Pixel 9', appName: 'DCK', appVersion: '1.0' },
    },
    entry('device-authorization'),
  );
  expect(
    await storage().showDevicePairing('device-1', { sessionId: 'session-1', shownAt: T0 + 1 }, cardId, entry('show')),
  ).toBe(true);
  const enrollment = awaitingPhoneEnrollment({
    id: 'enrollment-1',
    deviceAuthorizationId: 'device-1',
    cardId,
    kioskSessionId: 'session-1',
    otpHash: 'otp-1',
  });
  expect(await storage().approveDeviceAuthorization('device-1', enrollment, 5, entry('approve'))).toBe('approved');
  expect(
    await storage().issueAccessToken(
      'device-1',
      { hash: 'token-hash-1', expiresAt: T0 + 900_000, polledAt: T0 + 2 },
      entry('token'),
    ),
  ).toBe(true);
  return { enrollmentId: 'enrollment-1', cardId };
}

describe('the redeem look-ups read together', () => {
  it('give what the device authorization, enrollment and card reads give, field for field', async () => {
    const { enrollmentId, cardId } = await enrollmentWithToken();
    const parties = await storage().findRedemptionParties('token-hash-1', enrollmentId);
    expect(parties).toStrictEqual({
      device: await storage().findDeviceAuthorization('device-1'),
      enrollment: await storage().findEnrollment(enrollmentId),
      card: await storage().findCard(cardId),
    });
    // Not vacuous: the reads found the rows, with the token's expiry a real number.
    expect(parties?.device.accessTokenExpiresAt).toBe(T0 + 900_000);
    expect(parties?.enrollment?.status).toBe('awaiting-phone');
  });

  it('an unknown enrollment has no card; an unknown token finds nothing', async () => {
    await enrollmentWithToken();
    expect(await storage().findRedemptionParties('token-hash-1', 'enrollment-unknown')).toStrictEqual({
      device: await storage().findDeviceAuthorization('device-1'),
      enrollment: null,
      card: null,
    });
    expect(await storage().findRedemptionParties('token-hash-unknown', 'enrollment-1')).toBeNull();
  });
});
