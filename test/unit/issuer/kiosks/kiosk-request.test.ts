// Which registered kiosk made a call (issuer/kiosks/kiosk-request.ts) on a fixed clock and real storage: a signed
// call names its kiosk; unsigned passes only while the tenant's kioskSignatures is optional; unknown, revoked,
// forged, stale (> 60 s either way), replayed (same nonce) and malformed each refused with its own code and an
// audit row, nothing used up.
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KIOSK_SIGNATURE_WINDOW_MS } from '../../../../contracts/kiosk-signature.ts';
import type { SignedRequestParts } from '../../../../contracts/kiosk-signature.ts';
import { signingKiosk, signingKioskIfSigned } from '../../../../issuer/kiosks/kiosk-request.ts';
import type { KioskRequestProof } from '../../../../issuer/kiosks/kiosk-request.ts';
import { registerKiosk, revokeKiosk } from '../../../../issuer/kiosks/kiosk-registry.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { kioskRequestSigner } from '../../../../main/identity/kiosk-request-signer.ts';
import type { KioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import { UNSIGNED_CALL, startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';

const CALL: SignedRequestParts = { method: 'POST', path: '/enrollments', bodySha256: 'x'.repeat(43) };
const IP = '192.0.2.7';

/** A kiosk key pair as main/identity/ makes one, without a key file. */
function kioskIdentity(name: string): KioskIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    name,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    fingerprint: 'unused',
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

let h: RuleHarness;
let lobby: KioskIdentity;
beforeEach(async () => {
  h = await startRuleHarness();
  lobby = kioskIdentity('lobby-1');
  await registerKiosk(h.ctx.storage, 'lobby-1', lobby.publicKeyPem, 'admin:test', h.ctx.now());
});
afterEach(async () => {
  await h.close();
});

/** The call as the issuer receives it, signed by `identity` on the kiosk's clock `at` (default: the issuer's). */
function signed(identity: KioskIdentity, at?: Date, call: SignedRequestParts = CALL): KioskRequestProof {
  const header = kioskRequestSigner(identity, () => at ?? h.ctx.now())(call);
  return { ...CALL, header };
}

const refusalRows = async (code: string) =>
  (await h.ctx.storage.listAudit(0, 10_000)).filter((row) => row.event === 'approve' && row.code === code);

describe('signingKiosk', () => {
  it("names the registered kiosk whose key signed the call; the same call again is a replay (409's code)", async () => {
    const proof = signed(lobby);
    expect(await signingKiosk(h.ctx, 'approve', proof, IP)).toEqual({ ok: true, value: 'lobby-1' });
    expect(await signingKiosk(h.ctx, 'approve', proof, IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-request-replayed' },
    });
    expect(await refusalRows('kiosk-request-replayed')).toHaveLength(1);
    // A fresh nonce is a new call.
    expect(await signingKiosk(h.ctx, 'approve', signed(lobby), IP)).toEqual({ ok: true, value: 'lobby-1' });
  });

  it('an unsigned call passes while kioskSignatures is optional (the default) and is refused once it is required', async () => {
    expect(await signingKiosk(h.ctx, 'approve', UNSIGNED_CALL, IP)).toEqual({ ok: true, value: null });
    await changeTenantSettings(
      h.ctx.storage,
      h.ctx.config,
      { kioskSignatures: 'required' },
      { kind: 'admin', id: 'test' },
      h.ctx.now(),
    );
    expect(await signingKiosk(h.ctx, 'approve', UNSIGNED_CALL, IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-signature-required' },
    });
    expect(await refusalRows('kiosk-signature-required')).toHaveLength(1);
    // The challenge (shared with the agent console) still takes an unsigned call; a signed one still names its kiosk.
    expect(await signingKioskIfSigned(h.ctx, 'approve', UNSIGNED_CALL, IP)).toEqual({ ok: true, value: null });
    expect(await signingKiosk(h.ctx, 'approve', signed(lobby), IP)).toEqual({ ok: true, value: 'lobby-1' });
  });

  it('a call signed more than 60 s from the issuer clock, either way, is stale; at 60 s it is taken', async () => {
    const now = h.ctx.now().getTime();
    for (const off of [-KIOSK_SIGNATURE_WINDOW_MS - 1000, KIOSK_SIGNATURE_WINDOW_MS + 1000])
      expect(await signingKiosk(h.ctx, 'approve', signed(lobby, new Date(now + off)), IP)).toMatchObject({
        ok: false,
        error: {
          code: 'kiosk-request-stale',
          detail: expect.stringMatching(/^sent -?6\d s from the issuer's clock$/) as unknown,
        },
      });
    expect(await refusalRows('kiosk-request-stale')).toHaveLength(2);
    const edge = new Date(now - KIOSK_SIGNATURE_WINDOW_MS);
    expect(await signingKiosk(h.ctx, 'approve', signed(lobby, edge), IP)).toEqual({ ok: true, value: 'lobby-1' });
  });

  it('a captured call replayed later is stale, not taken (its nonce row may be gone by then)', async () => {
    const proof = signed(lobby);
    expect(await signingKiosk(h.ctx, 'approve', proof, IP)).toMatchObject({ ok: true });
    h.advance(KIOSK_SIGNATURE_WINDOW_MS * 3);
    // Another call drops the kiosk's nonces that ran out.
    expect(await signingKiosk(h.ctx, 'approve', signed(lobby), IP)).toMatchObject({ ok: true });
    expect(await signingKiosk(h.ctx, 'approve', proof, IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-request-stale' },
    });
  });

  it('unknown, revoked, forged and malformed are each refused with their own code and audited', async () => {
    const ghost = kioskIdentity('ghost-9');
    expect(await signingKiosk(h.ctx, 'approve', signed(ghost), IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-unknown' },
    });
    // lobby-1's name, another key: forged.
    const impostor = kioskIdentity('lobby-1');
    expect(await signingKiosk(h.ctx, 'approve', signed(impostor), IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-signature-invalid' },
    });
    // A real signature lifted onto another call (other path, other body).
    const lifted = { ...signed(lobby, undefined, { ...CALL, path: '/pki-auth/response' }), path: CALL.path };
    expect(await signingKiosk(h.ctx, 'approve', lifted, IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-signature-invalid' },
    });
    const otherBody = { ...signed(lobby), bodySha256: 'y'.repeat(43) };
    expect(await signingKiosk(h.ctx, 'approve', otherBody, IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-signature-invalid' },
    });
    for (const header of ['', 'kiosk=lobby-1', `${signed(lobby).header ?? ''};extra=1`, "kiosk=a';DROP TABLE kiosks"])
      expect(await signingKiosk(h.ctx, 'approve', { ...CALL, header }, IP)).toMatchObject({
        ok: false,
        error: { code: 'kiosk-signature-invalid' },
      });
    await revokeKiosk(h.ctx.storage, 'lobby-1', 'admin:test', h.ctx.now());
    expect(await signingKiosk(h.ctx, 'approve', signed(lobby), IP)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-revoked' },
    });
    const [unknown] = await refusalRows('kiosk-unknown');
    expect(unknown?.details).toMatchObject({ kiosk: 'ghost-9', path: '/enrollments', ip: IP });
    expect(await refusalRows('kiosk-signature-invalid')).toHaveLength(7);
    expect(await refusalRows('kiosk-revoked')).toHaveLength(1);
  });
});
