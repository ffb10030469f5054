// A PC revokes its own credential with a signature of that credential's key over a fresh challenge: nobody else can
// (another key, another serial, a replayed challenge), and a phone's credential is not revocable this way.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrollPc } from '../../../../issuer/pc/enroll-pc.ts';
import { revokePcCredential } from '../../../../issuer/pc/revoke-pc-credential.ts';
import { startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';
import { makePcKey } from './pc-key.ts';
import type { PcKey } from './pc-key.ts';

let h: RuleHarness;
beforeEach(async () => {
  h = await startRuleHarness();
});
afterEach(async () => {
  await h.close();
});

async function enrolled(): Promise<{ key: PcKey; serial: string }> {
  const key = await makePcKey();
  const issued = await enrollPc(h.ctx, {
    sessionToken: await h.signIn(await h.card()),
    request: { csr: key.csrPem, device: { id: 'pc-1', platform: 'Linux' }, keyProtection: 'tpm' },
  });
  if (!issued.ok) throw new Error(issued.error.code);
  return { key, serial: issued.value.serialNumberHex };
}

const revoke = (serialNumberHex: string, request: Awaited<ReturnType<PcKey['signedRevocation']>>) =>
  revokePcCredential(h.ctx, { serialNumberHex, request, ip: '127.0.0.1' });

describe('revokePcCredential', () => {
  it("the credential's own key revokes it (removed → cessationOfOperation), audited with the device as actor", async () => {
    const { key, serial } = await enrolled();
    const answer = await revoke(serial, await key.signedRevocation(h.ctx, serial, 'removed'));
    expect(answer).toMatchObject({ ok: true, value: { state: 'revoked', serialNumberHex: serial } });
    expect(await h.ctx.storage.findDerivedCertificate(serial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'cessationOfOperation',
    });
    expect(await h.auditCodes()).toEqual(
      expect.arrayContaining([
        ['pc-revoke', null],
        ['credential-revoke', 'cessationOfOperation'],
      ]),
    );
  });

  it('a renewal revokes the old credential as superseded', async () => {
    const { key, serial } = await enrolled();
    await revoke(serial, await key.signedRevocation(h.ctx, serial, 'renewed'));
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.revocationReason).toBe('superseded');
  });

  it('another key, another serial or another cause in the signature: refused, nothing revoked', async () => {
    const { key, serial } = await enrolled();
    const other = await enrolled();
    const stranger = await makePcKey();
    expect(await revoke(serial, await stranger.signedRevocation(h.ctx, serial, 'removed'))).toMatchObject({
      ok: false,
      error: { code: 'device-signature-invalid' },
    });
    // Signed for the other credential's serial, sent for this one.
    expect(await revoke(serial, await other.key.signedRevocation(h.ctx, serial, 'removed'))).toMatchObject({
      ok: false,
      error: { code: 'device-signature-invalid' },
    });
    const signed = await key.signedRevocation(h.ctx, serial, 'renewed');
    expect(await revoke(serial, { ...signed, cause: 'removed' })).toMatchObject({
      ok: false,
      error: { code: 'device-signature-invalid' },
    });
    expect(await revoke(serial, { ...signed, signature: 'AAAA' })).toMatchObject({
      ok: false,
      error: { code: 'challenge-used' },
    });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('active');
    expect(await h.auditCodes()).toContainEqual(['pc-revoke', 'device-signature-invalid']);
  });

  it('a challenge answers once; an expired one, an unknown serial, a revoked credential are refused', async () => {
    const { key, serial } = await enrolled();
    const signed = await key.signedRevocation(h.ctx, serial, 'removed');
    expect((await revoke(serial, signed)).ok).toBe(true);
    expect(await revoke(serial, signed)).toMatchObject({ ok: false, error: { code: 'challenge-used' } });
    expect(await revoke(serial, await key.signedRevocation(h.ctx, serial, 'removed'))).toMatchObject({
      ok: false,
      error: { code: 'credential-not-active' },
    });
    expect(await revoke('0badc0de', await key.signedRevocation(h.ctx, '0badc0de', 'removed'))).toMatchObject({
      ok: false,
      error: { code: 'credential-unknown' },
    });
    const late = await key.signedRevocation(h.ctx, serial, 'removed');
    h.advance(h.ctx.config.pkiAuth.challengeLifetimeSeconds * 1000);
    expect(await revoke(serial, late)).toMatchObject({ ok: false, error: { code: 'challenge-expired' } });
  });
});
