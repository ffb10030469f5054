// The derived credential's states and transitions, on real SQLite with a fixed clock: every change is audited with
// who and why; a refused change (unknown, twice, resume of a revoked one, expired) says why and changes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LifecycleError,
  credentialState,
  resumeDerivedCredential,
  revokeAllForCard,
  revokeDerivedCredential,
  suspendDerivedCredential,
} from '../../../../issuer/lifecycle/credential-state.ts';
import type { LifecycleDeps } from '../../../../issuer/lifecycle/credential-state.ts';
import { enterIssuerGeneration } from '../../../../issuer/lifecycle/issuer-generation.ts';
import type { IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { T0, openTestStorage, seedCredential } from './seed-credentials.ts';

let storage: IssuerStorage;
let now: number;
let changes: number;
let deps: LifecycleDeps;
const admin = { kind: 'admin', id: 'alice@example.org' } as const;

beforeEach(async () => {
  storage = openTestStorage().storage;
  now = T0 + 60_000;
  changes = 0;
  deps = {
    storage,
    now: () => new Date(now),
    afterRevocationChange: () => {
      changes += 1;
    },
  };
  await enterIssuerGeneration(storage, new Uint8Array([1, 2, 3]), new Date(T0), { kind: 'issuer', id: 'test' });
});
afterEach(async () => {
  await storage.close();
});

async function auditRows(event: string) {
  return (await storage.listAudit(0, 1000)).filter((row) => row.event === event);
}

async function expectRefused(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LifecycleError);
  expect((error as LifecycleError).code).toBe(code);
}

describe('revoke, suspend, resume', () => {
  it('revokes with the RFC 5280 reason, audited with the actor and note, and tells the CRL', async () => {
    const { serial } = await seedCredential(storage);
    await revokeDerivedCredential(deps, serial, 'keyCompromise', admin, 'phone stolen');
    const stored = await storage.findDerivedCertificate(serial);
    expect(stored).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise', statusChangedAt: now });
    expect(changes).toBe(1);
    const [row] = await auditRows('credential-revoke');
    expect(row).toMatchObject({
      outcome: 'success',
      code: 'keyCompromise',
      details: { serialNumberHex: serial, actor: admin.id, actorKind: 'admin', note: 'phone stolen' },
    });
  });

  it('revoking twice is a plain error that changes nothing (the first reason and time stay)', async () => {
    const { serial } = await seedCredential(storage);
    await revokeDerivedCredential(deps, serial, 'affiliationChanged', admin);
    now += 1000;
    await expectRefused(revokeDerivedCredential(deps, serial, 'keyCompromise', admin), 'credential-revoked');
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({
      revocationReason: 'affiliationChanged',
      statusChangedAt: now - 1000,
    });
    expect(changes).toBe(1);
    expect((await auditRows('credential-revoke')).map((row) => row.outcome)).toEqual(['success', 'failure']);
  });

  it('suspends as certificateHold and resumes to active; a suspended one can still be revoked', async () => {
    const { serial } = await seedCredential(storage);
    await suspendDerivedCredential(deps, serial, admin, 'holder on leave');
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({
      status: 'suspended',
      revocationReason: 'certificateHold',
    });
    await expectRefused(suspendDerivedCredential(deps, serial, admin), 'credential-suspended');
    await resumeDerivedCredential(deps, serial, admin);
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({ status: 'active', revocationReason: null });
    await suspendDerivedCredential(deps, serial, admin);
    await revokeDerivedCredential(deps, serial, 'privilegeWithdrawn', admin);
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'privilegeWithdrawn',
    });
  });

  it('resuming a revoked or an active credential is refused, nothing changed', async () => {
    const { serial } = await seedCredential(storage);
    await expectRefused(resumeDerivedCredential(deps, serial, admin), 'credential-not-suspended');
    await revokeDerivedCredential(deps, serial, 'superseded', admin);
    await expectRefused(resumeDerivedCredential(deps, serial, admin), 'credential-revoked');
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({ status: 'revoked' });
  });

  it('unknown or malformed serials, bad reasons, certificateHold as a revocation, bad actors and notes are refused', async () => {
    const { serial } = await seedCredential(storage);
    await expectRefused(revokeDerivedCredential(deps, 'abcdef', 'keyCompromise', admin), 'credential-unknown');
    await expectRefused(revokeDerivedCredential(deps, 'not hex!', 'keyCompromise', admin), 'credential-unknown');
    await expectRefused(revokeDerivedCredential(deps, serial, 'stolen', admin), 'revocation-reason-invalid');
    await expectRefused(revokeDerivedCredential(deps, serial, 'certificateHold', admin), 'revocation-reason-invalid');
    await expectRefused(
      revokeDerivedCredential(deps, serial, 'keyCompromise', { kind: 'admin', id: '' }),
      'actor-invalid',
    );
    await expectRefused(revokeDerivedCredential(deps, serial, 'keyCompromise', admin, 'two\nlines'), 'note-invalid');
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({ status: 'active' });
    expect(changes).toBe(0);
  });

  it('accepts a serial as people type it (upper case, colons)', async () => {
    const { serial } = await seedCredential(storage);
    const typed = serial.toUpperCase().match(/../g)?.join(':') ?? '';
    await revokeDerivedCredential(deps, typed, 'unspecified', admin);
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({ status: 'revoked' });
  });

  it('an expired credential reads as expired and cannot be suspended or revoked', async () => {
    const { serial } = await seedCredential(storage, { notAfter: T0 + 30_000 });
    const stored = await storage.findDerivedCertificate(serial);
    expect(stored === null ? null : credentialState(stored, new Date(now))).toBe('expired');
    await expectRefused(suspendDerivedCredential(deps, serial, admin), 'credential-expired');
    await expectRefused(revokeDerivedCredential(deps, serial, 'keyCompromise', admin), 'credential-expired');
  });
});

describe('revokeAllForCard', () => {
  it("revokes every active and suspended credential of the card, one audit row each, and no other card's", async () => {
    const first = await seedCredential(storage, { cardSerial: 'aa01' });
    const second = await seedCredential(storage, { cardSerial: 'aa01' });
    const other = await seedCredential(storage, { cardSerial: 'bb02' });
    expect(second.cardId).toBe(first.cardId);
    await suspendDerivedCredential(deps, second.serial, admin);
    const revoked = await revokeAllForCard(deps, first.cardId, 'affiliationChanged', {
      kind: 'monitor',
      id: 'eligibility',
    });
    expect(revoked.sort()).toEqual([first.serial, second.serial].sort());
    expect(await storage.findDerivedCertificate(other.serial)).toMatchObject({ status: 'active' });
    expect((await auditRows('credential-revoke')).filter((row) => row.details.actorKind === 'monitor')).toHaveLength(2);
    expect(await revokeAllForCard(deps, first.cardId, 'affiliationChanged', admin)).toEqual([]);
  });
});

describe('renewal and issuer generations', () => {
  it("a new credential for the same card and device supersedes the old one; another device's stays", async () => {
    const old = await seedCredential(storage, { cardSerial: 'cc03', deviceId: 'phone-1' });
    const otherDevice = await seedCredential(storage, { cardSerial: 'cc03', deviceId: 'phone-2' });
    await seedCredential(storage, { cardSerial: 'cc03', deviceId: 'phone-1' });
    expect(await storage.findDerivedCertificate(old.serial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'superseded',
    });
    expect(await storage.findDerivedCertificate(otherDevice.serial)).toMatchObject({ status: 'active' });
  });

  it('a new issuer generation revokes every credential of the old one and refuses what the old CA signs after', async () => {
    const { serial } = await seedCredential(storage);
    const next = await enterIssuerGeneration(storage, new Uint8Array([4, 5, 6]), new Date(now), admin);
    expect(next).toEqual({ generation: 2, revoked: [serial] });
    expect(await storage.findDerivedCertificate(serial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'cessationOfOperation',
    });
    await expect(seedCredential(storage, { issuerGeneration: 1 })).rejects.toThrow(/generation-retired/);
    // The same CA again (another worker starting) changes nothing.
    expect(await enterIssuerGeneration(storage, new Uint8Array([4, 5, 6]), new Date(now), admin)).toEqual({
      generation: 2,
      revoked: [],
    });
  });

  it('CRL numbers increase strictly and the draft lists held and revoked credentials with their reasons', async () => {
    const a = await seedCredential(storage);
    const b = await seedCredential(storage);
    await revokeDerivedCredential(deps, a.serial, 'keyCompromise', admin);
    await suspendDerivedCredential(deps, b.serial, admin);
    const first = await storage.draftCrl(1, now);
    const second = await storage.draftCrl(1, now);
    expect(second.crlNumber).toBeGreaterThan(first.crlNumber);
    expect(first.entries.map((entry) => [entry.serialNumberHex, entry.reason]).sort()).toEqual(
      [
        [a.serial, 'keyCompromise'],
        [b.serial, 'certificateHold'],
      ].sort(),
    );
    expect(
      await storage.publishCrl({
        generation: 1,
        crlNumber: second.crlNumber,
        stateVersion: second.stateVersion,
        der: new Uint8Array([1]),
        thisUpdate: now,
        nextUpdate: now + 1,
      }),
    ).toBe(true);
    // A CRL that lost the race to a higher number is never published over it.
    expect(
      await storage.publishCrl({
        generation: 1,
        crlNumber: first.crlNumber,
        stateVersion: first.stateVersion,
        der: new Uint8Array([2]),
        thisUpdate: now,
        nextUpdate: now + 1,
      }),
    ).toBe(false);
  });
});

describe("the holder is told: notices queued in the change's transaction", () => {
  const email = () => Promise.resolve('email' as const);
  const notices = async () => (await storage.listNotifications(1000)).map((row) => [row.kind, row.derivedSerialHex]);

  it('a revocation queues exactly one credential-revoked notice; revoking again and suspending queue none', async () => {
    const told = await seedCredential(storage);
    const suspended = await seedCredential(storage);
    const withEmail: LifecycleDeps = { ...deps, notificationTypes: email };
    await revokeDerivedCredential(withEmail, told.serial, 'keyCompromise', admin);
    await expectRefused(revokeDerivedCredential(withEmail, told.serial, 'keyCompromise', admin), 'credential-revoked');
    await suspendDerivedCredential(withEmail, suspended.serial, admin);
    expect(await notices()).toEqual([['credential-revoked', told.serial]]);
    const [row] = await storage.listNotifications(10);
    expect(row?.facts).toMatchObject({ serialNumberHex: told.serial, reason: 'keyCompromise' });
  });

  it('revokeAllForCard queues one notice per credential it revoked, none for those already revoked', async () => {
    const first = await seedCredential(storage, { cardSerial: 'c0aaaa' });
    const second = await seedCredential(storage, { cardSerial: 'c0aaaa' });
    expect(second.cardId).toBe(first.cardId);
    const withEmail: LifecycleDeps = { ...deps, notificationTypes: email };
    await revokeDerivedCredential(withEmail, first.serial, 'affiliationChanged', admin);
    await revokeAllForCard(withEmail, first.cardId, 'privilegeWithdrawn', {
      kind: 'monitor',
      id: 'eligibility-monitor',
    });
    expect((await notices()).sort()).toEqual(
      [
        ['credential-revoked', first.serial],
        ['credential-revoked', second.serial],
      ].sort(),
    );
  });

  it('a new issuer generation queues one issuer-changed notice per credential of the old one', async () => {
    const { serial } = await seedCredential(storage);
    await enterIssuerGeneration(
      storage,
      new Uint8Array([4, 5, 6]),
      new Date(now),
      admin,
      'cessationOfOperation',
      'email',
    );
    expect(await notices()).toEqual([['issuer-changed', serial]]);
    expect((await storage.listNotifications(10))[0]?.facts).toMatchObject({ generation: 2 });
  });

  it('with email off (the default notificationTypes: app), nothing is queued', async () => {
    const { serial } = await seedCredential(storage);
    const appOnly = () => Promise.resolve('app' as const);
    await revokeDerivedCredential({ ...deps, notificationTypes: appOnly }, serial, 'keyCompromise', admin);
    expect(await notices()).toEqual([]);
  });
});
