// A card sign-in authorizes this one PC, as a plain function: a fixed clock, real SQLite, a real CA, the real card
// re-check. What the issuer stores is what a phone's redeem stores (binding record), plus the key protection.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PcEnrollmentRequest } from '../../../../contracts/issuer-api.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { enrollPc } from '../../../../issuer/pc/enroll-pc.ts';
import { startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';
import { makePcKey } from './pc-key.ts';

let h: RuleHarness;
beforeEach(async () => {
  h = await startRuleHarness();
});
afterEach(async () => {
  await h.close();
});

const request = (csr: string, keyProtection: 'tpm' | 'software' = 'tpm'): PcEnrollmentRequest => ({
  csr,
  device: { id: 'pc-7f3a', platform: 'Linux', model: 'ThinkPad' },
  keyProtection,
});

describe('enrollPc', () => {
  it('a signed-in card authorizes one PC: a derived certificate whose binding names the PC and its TPM', async () => {
    const session = await h.signIn(await h.card());
    const issued = await enrollPc(h.ctx, { sessionToken: session, request: request((await makePcKey()).csrPem) });
    if (!issued.ok) throw new Error(issued.error.code);
    expect(issued.value.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const stored = await h.ctx.storage.findDerivedCertificate(issued.value.serialNumberHex);
    expect(stored).toMatchObject({
      status: 'active',
      keyProtection: 'tpm',
      device: { id: 'pc-7f3a', platform: 'Linux', model: 'ThinkPad' },
      issuerGeneration: h.ctx.issuerGeneration,
    });
    // The same lifecycle view administrators list (CRL/OCSP and renewal read these rows).
    const listed = await h.ctx.storage.listDerivedCredentials({ deviceId: 'pc-7f3a' }, 10);
    expect(listed.map((row) => row.serialNumberHex)).toEqual([issued.value.serialNumberHex]);
    expect(await h.auditCodes()).toContainEqual(['pc-enroll', null]);
    // The tenant's renewal threshold (80% by default) of the certificate's lifetime.
    const notBefore = stored?.notBefore ?? 0;
    const dueAt = notBefore + Math.floor(((stored?.notAfter ?? 0) - notBefore) * 0.8);
    expect(issued.value.renewalDueAt).toBe(new Date(dueAt).toISOString());
  });

  it('one sign-in authorizes one device: a second PC needs the card again', async () => {
    const session = await h.signIn(await h.card());
    expect((await enrollPc(h.ctx, { sessionToken: session, request: request((await makePcKey()).csrPem) })).ok).toBe(
      true,
    );
    expect(
      await enrollPc(h.ctx, { sessionToken: session, request: request((await makePcKey()).csrPem) }),
    ).toMatchObject({ ok: false, error: { code: 'session-approval-limit' } });
  });

  it('a renewal on the same PC leaves the old credential active: the PC revokes it once the new one is installed', async () => {
    const card = await h.card();
    const first = await enrollPc(h.ctx, {
      sessionToken: await h.signIn(card),
      request: request((await makePcKey()).csrPem),
    });
    const second = await enrollPc(h.ctx, {
      sessionToken: await h.signIn(card),
      request: request((await makePcKey()).csrPem),
    });
    if (!first.ok || !second.ok) throw new Error('not issued');
    expect((await h.ctx.storage.findDerivedCertificate(first.value.serialNumberHex))?.status).toBe('active');
  });

  it('a tenant that refuses software keys refuses a software-protected PC, and audits it; a TPM key still passes', async () => {
    await changeTenantSettings(
      h.ctx.storage,
      h.ctx.config,
      { pcSoftwareKeys: 'refuse' },
      { kind: 'admin', id: 'a' },
      h.ctx.now(),
    );
    const session = await h.signIn(await h.card());
    expect(
      await enrollPc(h.ctx, { sessionToken: session, request: request((await makePcKey()).csrPem, 'software') }),
    ).toMatchObject({ ok: false, error: { code: 'software-key-refused' } });
    expect(await h.auditCodes()).toContainEqual(['pc-enroll', 'software-key-refused']);
    expect((await enrollPc(h.ctx, { sessionToken: session, request: request((await makePcKey()).csrPem) })).ok).toBe(
      true,
    );
  });

  it('no session, an expired session, a bad CSR: refused, nothing issued', async () => {
    const csr = (await makePcKey()).csrPem;
    expect(await enrollPc(h.ctx, { sessionToken: null, request: request(csr) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-session' },
    });
    const session = await h.signIn(await h.card());
    expect(await enrollPc(h.ctx, { sessionToken: session, request: request('not a CSR') })).toMatchObject({
      ok: false,
      error: { code: 'csr-invalid' },
    });
    h.advance(h.ctx.config.pkiAuth.kioskSessionLifetimeSeconds * 1000);
    expect(await enrollPc(h.ctx, { sessionToken: session, request: request(csr) })).toMatchObject({
      ok: false,
      error: { code: 'invalid-session' },
    });
    expect(await h.ctx.storage.listDerivedCredentials({}, 10)).toEqual([]);
  });
});
