// A kiosk's signed enrollment calls through the real HTTPS issuer (tenant kioskSignatures = required), with the
// kiosk's real main-process code: its key generated into a data directory, registered by an administrator, its
// issuer client signing PKI-AUTH, approve and refresh. The enrollment and the agents' queue name the real kiosk.
// Hostile calls: unsigned, replayed, stale, from an unknown kiosk, from a revoked one, a signature over another
// body: each a clear refusal with its own code, nothing created, an audit row.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER_API } from '../../../../contracts/issuer-routes.ts';
import { KIOSK_SIGNATURE_HEADER } from '../../../../contracts/kiosk-signature.ts';
import { registerKiosk, revokeKiosk } from '../../../../issuer/kiosks/kiosk-registry.ts';
import { loadOrCreateKioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import type { KioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import { kioskRequestSigner } from '../../../../main/identity/kiosk-request-signer.ts';
import { HttpsIssuerClient } from '../../../../main/issuer-client/https-issuer-client.ts';
import { newKioskNonce, pkiAuthMessageBytes } from '../../pki-auth/card-signature.ts';
import { approveShown, answerChallenge, cardSign, challenge, phoneStart, startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';

let h: IssuerHarness;
let kioskDir: string;
let lobby: KioskIdentity;
let kiosk: HttpsIssuerClient;

beforeAll(async () => {
  h = await startHarness({ tenantSettings: { kioskSignatures: 'required' } });
  kioskDir = mkdtempSync(join(tmpdir(), 'dck-kiosk-signed-'));
  lobby = loadOrCreateKioskIdentity(join(kioskDir, 'lobby', 'kiosk.key.pem'), 'lobby-1');
  await registerKiosk(h.issuer.storage, 'lobby-1', lobby.publicKeyPem, 'admin:test', new Date());
  kiosk = new HttpsIssuerClient({
    baseUrl: h.issuer.url,
    trustedCaPem: h.issuer.tlsCertificatePem,
    kioskId: lobby.name,
    signer: kioskRequestSigner(lobby),
  });
});
afterAll(async () => {
  kiosk.close();
  await h.close();
  rmSync(kioskDir, { recursive: true, force: true });
});

const auditRows = async (event: string, code: string | null) =>
  (await h.issuer.storage.listAudit(0, 100_000)).filter((row) => row.event === event && row.code === code);

/** PKI-AUTH as the kiosk does it, through `client` (signed when it has a signer). */
async function signIn(client: HttpsIssuerClient) {
  const card = await h.card();
  const issued = await client.challenge();
  if (!issued.ok) return issued;
  const kioskNonce = newKioskNonce();
  return client.answerChallenge({
    challengeId: issued.value.challengeId,
    kioskNonce,
    certificateDer: card.der,
    signature: cardSign(card, pkiAuthMessageBytes(issued.value.challenge, kioskNonce)),
  });
}

/** A challenge call with `identity`'s signature header made on the kiosk clock `at`, over `signedBody`. */
function signedChallengeCall(identity: KioskIdentity, options: { at?: Date; signedBody?: string } = {}) {
  const body = JSON.stringify({ kioskId: identity.name });
  const bodySha256 = createHash('sha256')
    .update(options.signedBody ?? body)
    .digest('base64url');
  const path = ISSUER_API.pkiAuthChallenge.path;
  const header = kioskRequestSigner(identity, () => options.at ?? new Date())({ method: 'POST', path, bodySha256 });
  return () => h.http.send('POST', path, { raw: body, headers: { [KIOSK_SIGNATURE_HEADER]: header } });
}

describe('a registered kiosk signs its enrollment calls', () => {
  it('signs in, approves and refreshes; the enrollment, the audit and the agents’ queue name lobby-1', async () => {
    const device = await phoneStart(h.http);
    const session = await signIn(kiosk);
    if (!session.ok) throw new Error(`sign-in refused: ${session.error.code}`);
    const token = session.value.sessionToken;
    const shown = await kiosk.showDevicePairing(token, device.user_code);
    if (!shown.ok) throw new Error(shown.error.code);
    const approved = await kiosk.approveUserCode(token, device.user_code, shown.value.matchNumber);
    if (!approved.ok) throw new Error(approved.error.code);
    const { enrollmentId } = approved.value;
    expect((await h.issuer.storage.findEnrollment(enrollmentId))?.kioskId).toBe('lobby-1');
    const queue = await h.issuer.storage.listEnrollmentQueue(0, 0, 100);
    expect(queue.find((row) => row.enrollment.id === enrollmentId)?.kioskId).toBe('lobby-1');
    const [signedIn] = (await auditRows('pki-auth', null)).slice(-1);
    expect(signedIn?.details).toMatchObject({ kioskId: 'lobby-1', kioskSigned: true });
    expect((await auditRows('approve', null)).at(-1)?.details).toMatchObject({ enrollmentId, kioskId: 'lobby-1' });
    expect(await kiosk.refreshEnrollment(token, enrollmentId)).toMatchObject({ ok: true });

    // The same session's calls without the kiosk's signature: refused (the tenant requires it), nothing created.
    const device2 = await phoneStart(h.http);
    const unsigned = await approveShown(h.http, token, device2.user_code, '00');
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error).toBe('kiosk-signature-required');
    expect(await auditRows('approve', 'kiosk-signature-required')).toHaveLength(1);
    const refresh = await h.http.route('refreshEnrollment', { params: { enrollmentId }, bearer: token });
    expect([refresh.status, (refresh.body as { error?: string }).error]).toEqual([401, 'kiosk-signature-required']);
  });

  it('an unsigned PKI-AUTH answer is refused (401) and does not use the challenge; the challenge alone is open to the agent console', async () => {
    const card = await h.card();
    const issued = await challenge(h.http);
    const refused = await answerChallenge(h.http, card, issued);
    expect([refused.status, refused.body.error]).toEqual([401, 'kiosk-signature-required']);
    expect(await auditRows('pki-auth', 'kiosk-signature-required')).toHaveLength(1);
    expect((await h.issuer.storage.findChallenge(issued.challengeId))?.usedAt).toBeNull();
  });

  it('a signed call replayed is refused (409), a stale one (401), each audited', async () => {
    const call = signedChallengeCall(lobby);
    expect((await call()).status).toBe(200);
    const replayed = await call();
    expect([replayed.status, replayed.body.error]).toEqual([409, 'kiosk-request-replayed']);
    const stale = await signedChallengeCall(lobby, { at: new Date(Date.now() - 120_000) })();
    expect([stale.status, stale.body.error]).toEqual([401, 'kiosk-request-stale']);
    expect(stale.body.message).toMatch(/check the kiosk's clock.*sent -12\d s from the issuer's clock/);
    expect(await auditRows('pki-auth-challenge', 'kiosk-request-replayed')).toHaveLength(1);
    expect(await auditRows('pki-auth-challenge', 'kiosk-request-stale')).toHaveLength(1);
  });

  it('an unknown kiosk (401), a revoked one (403) and a signature over another body (401) are refused', async () => {
    const ghost = loadOrCreateKioskIdentity(join(kioskDir, 'ghost', 'kiosk.key.pem'), 'ghost-9');
    const ghostClient = new HttpsIssuerClient({
      baseUrl: h.issuer.url,
      trustedCaPem: h.issuer.tlsCertificatePem,
      signer: kioskRequestSigner(ghost),
    });
    try {
      expect(await signIn(ghostClient)).toMatchObject({ ok: false, error: { code: 'kiosk-unknown' } });
    } finally {
      ghostClient.close();
    }
    const old = loadOrCreateKioskIdentity(join(kioskDir, 'old', 'kiosk.key.pem'), 'old-1');
    await registerKiosk(h.issuer.storage, 'old-1', old.publicKeyPem, 'admin:test', new Date());
    await revokeKiosk(h.issuer.storage, 'old-1', 'admin:test', new Date());
    const revoked = await signedChallengeCall(old)();
    expect([revoked.status, revoked.body.error]).toEqual([403, 'kiosk-revoked']);
    const forged = await signedChallengeCall(lobby, { signedBody: '{"kioskId":"somewhere-else"}' })();
    expect([forged.status, forged.body.error]).toEqual([401, 'kiosk-signature-invalid']);
    const malformed = await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, {
      json: {},
      headers: { [KIOSK_SIGNATURE_HEADER]: 'kiosk=lobby-1;sent-at=1;nonce=short;signature=x' },
    });
    expect([malformed.status, malformed.body.error]).toEqual([401, 'kiosk-signature-invalid']);
    expect(await auditRows('pki-auth-challenge', 'kiosk-unknown')).toHaveLength(1);
    expect(await auditRows('pki-auth-challenge', 'kiosk-revoked')).toHaveLength(1);
    expect(await auditRows('pki-auth-challenge', 'kiosk-signature-invalid')).toHaveLength(2);
  });
});
