// A sign-in's storage step (`openKioskSession`): its challenge is used up, its card stored, its session opened and
// its audit row written together, or nothing is (kiosk-session-open.postgres.test.ts runs it on PostgreSQL, where
// the challenge and the card are one statement and the session and its row another). A used challenge opens
// nothing and leaves the card alone; a card signing in again keeps its id, its other fields refreshed, and the
// audit row names the id the card is stored under.
import { describe, expect, it } from 'vitest';
import type { AuditEntryInput, CardRecord } from '../../../../issuer/storage/issuer-storage.ts';
import { seedChallenge, seedKioskSession, T0 } from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { storagePerTest } from './storage-kinds.ts';

const storage = storagePerTest('dck-session-open-');

const card = (id: string, commonName: string): CardRecord => ({
  id,
  issuerDn: 'CN=Test PIV CA',
  serialNumberHex: '0c01',
  uuid: null,
  fascnHex: null,
  commonName,
  notAfter: T0 + 86_400_000,
  certificateDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]),
});

const session = seedKioskSession;

const signedIn = (cardId: string): AuditEntryInput => ({
  at: T0,
  event: 'pki-auth',
  outcome: 'success',
  code: null,
  details: { cardId },
});

const challenge = (n: number): Promise<string> => seedChallenge(storage(), n);

const signIn = (challengeId: string, cardRecord: CardRecord, n: number) =>
  storage().openKioskSession(challengeId, T0 + n, cardRecord, session(n), signedIn);

describe('opening a kiosk session', () => {
  it('a used challenge opens no session, stores no card and writes no audit row', async () => {
    const first = await challenge(1);
    expect(await signIn(first, card('card-a', 'Holder A'), 1)).toBe('card-a');
    const before = await storage().listAudit(0, 100);
    expect(await signIn(first, card('card-b', 'Holder B'), 2)).toBeNull();
    expect(await storage().findKioskSessionByTokenHash('token-2')).toBeNull();
    expect(await storage().findCard('card-a')).toMatchObject({ commonName: 'Holder A' });
    expect(await storage().findCard('card-b')).toBeNull();
    expect(await storage().listAudit(0, 100)).toEqual(before);
  });

  it('a card signing in again keeps its id, its name refreshed; the audit row names that id', async () => {
    expect(await signIn(await challenge(1), card('card-a', 'Holder A'), 1)).toBe('card-a');
    expect(await signIn(await challenge(2), card('card-b', 'Holder A. Renamed'), 2)).toBe('card-a');
    expect(await storage().findCard('card-b')).toBeNull();
    expect(await storage().findCard('card-a')).toMatchObject({ commonName: 'Holder A. Renamed' });
    expect(await storage().findKioskSessionByTokenHash('token-2')).toMatchObject({ id: 'session-2', cardId: 'card-a' });
    const rows = (await storage().listAudit(0, 100)).filter((row) => row.event === 'pki-auth');
    expect(rows.map((row) => row.details)).toEqual([{ cardId: 'card-a' }, { cardId: 'card-a' }]);
  });
});
