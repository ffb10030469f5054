// One sign-in approves at most maxApprovalsPerSession phones, also when its phones are approved at the same moment
// (approval-limit.postgres.test.ts runs it on PostgreSQL, where approvals run side by side, each one statement: the
// session row, updated by each, makes them wait, and each reads the session's enrollment count from the row as the
// approval it waited for left it, never from a snapshot taken before the wait). Every approval writes its
// enrollment, its device authorization's new state and its audit row together, or none of them.
import { describe, expect, it } from 'vitest';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';
import {
  T0,
  awaitingPhoneEnrollment,
  openSeedSession,
  pendingDeviceAuthorization,
} from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { storagePerTest } from './storage-kinds.ts';

const entry = (event: string, n: number): AuditEntryInput => ({
  at: T0,
  event,
  outcome: 'success',
  code: null,
  details: { n },
});

const storage = storagePerTest('dck-approval-limit-');

const PHONES = 8;

/** Session 1 (card 1) and PHONES pending device authorizations, device-1 … device-PHONES. */
async function sessionWithPendingPhones(): Promise<string> {
  const cardId = await openSeedSession(storage(), 1);
  for (let n = 1; n <= PHONES; n += 1)
    await storage().insertDeviceAuthorization(pendingDeviceAuthorization(n), entry('device-authorization', n));
  return cardId;
}

const approve = (cardId: string, n: number, maxApprovals: number) =>
  storage().approveDeviceAuthorization(
    `device-${n}`,
    awaitingPhoneEnrollment({
      id: `enrollment-${n}`,
      deviceAuthorizationId: `device-${n}`,
      cardId,
      kioskSessionId: 'session-1',
      otpHash: `otp-${n}`,
    }),
    maxApprovals,
    entry('approve', n),
  );

/** What the store holds for phone n: its device authorization's status, its enrollment, its approval's audit rows. */
async function phone(n: number): Promise<{ status: string | undefined; enrolled: boolean; audited: number }> {
  const audit = await storage().listAudit(0, 1000);
  return {
    status: (await storage().findDeviceAuthorization(`device-${n}`))?.status,
    enrolled: (await storage().findEnrollment(`enrollment-${n}`)) !== null,
    audited: audit.filter((row) => row.event === 'approve' && row.details.n === n).length,
  };
}

describe('approving phones of one sign-in', () => {
  it('approves at most the limit when all its phones are approved at once; the others are left as they were', async () => {
    const cardId = await sessionWithPendingPhones();
    const results = await Promise.all(Array.from({ length: PHONES }, (_, i) => approve(cardId, i + 1, 2)));
    expect(results.filter((result) => result === 'approved')).toHaveLength(2);
    expect(results.filter((result) => result === 'session-limit')).toHaveLength(PHONES - 2);
    for (let n = 1; n <= PHONES; n += 1) {
      const approved = results[n - 1] === 'approved';
      expect(await phone(n)).toEqual(
        approved
          ? { status: 'approved', enrolled: true, audited: 1 }
          : { status: 'pending', enrolled: false, audited: 0 },
      );
    }
  });

  it('a phone approved already is not approved again; the refusal writes nothing', async () => {
    const cardId = await sessionWithPendingPhones();
    expect(await approve(cardId, 1, 5)).toBe('approved');
    const before = await storage().listAudit(0, 1000);
    expect(
      await storage().approveDeviceAuthorization(
        'device-1',
        awaitingPhoneEnrollment({
          id: 'enrollment-again',
          deviceAuthorizationId: 'device-1',
          cardId,
          kioskSessionId: 'session-1',
          otpHash: 'otp-again',
        }),
        5,
        entry('approve', 1),
      ),
    ).toBe('not-pending');
    expect(await storage().findEnrollment('enrollment-again')).toBeNull();
    expect(await storage().listAudit(0, 1000)).toEqual(before);
    expect(await phone(1)).toEqual({ status: 'approved', enrolled: true, audited: 1 });
  });
});
