// A kiosk session belongs to the kiosk whose signed PKI-AUTH answer opened it, through the real HTTPS issuer with the
// kiosk's real main-process client (tenant kioskSignatures = optional, the default). Another registered kiosk's signed
// approve or refresh on it, or an unsigned one, is refused with `kiosk-session-mismatch` (403), audited, and uses up
// nothing: no guess counted, the phone still waiting, the one-time password unchanged. A session opened unsigned is
// bound to no kiosk and takes calls as before. Run again on PostgreSQL by kiosk-session-binding.postgres.test.ts.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKiosk } from '../../../../issuer/kiosks/kiosk-registry.ts';
import { hashToken } from '../../../../issuer/secrets.ts';
import { loadOrCreateKioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import { kioskRequestSigner } from '../../../../main/identity/kiosk-request-signer.ts';
import { HttpsIssuerClient } from '../../../../main/issuer-client/https-issuer-client.ts';
import { newKioskNonce, pkiAuthMessageBytes } from '../../pki-auth/card-signature.ts';
import { approveShown, cardSign, kioskSignIn, phoneStart, startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';

let h: IssuerHarness;
let kioskDir: string;
let lobby: HttpsIssuerClient;
let hall: HttpsIssuerClient;

/** A registered kiosk's client, signing its calls as the kiosk does. */
async function registeredKiosk(name: string): Promise<HttpsIssuerClient> {
  const identity = loadOrCreateKioskIdentity(join(kioskDir, name, 'kiosk.key.pem'), name);
  await registerKiosk(h.issuer.storage, name, identity.publicKeyPem, 'admin:test', new Date());
  return new HttpsIssuerClient({
    baseUrl: h.issuer.url,
    trustedCaPem: h.issuer.tlsCertificatePem,
    kioskId: name,
    signer: kioskRequestSigner(identity),
  });
}

beforeAll(async () => {
  h = await startHarness();
  kioskDir = mkdtempSync(join(tmpdir(), 'dck-kiosk-binding-'));
  lobby = await registeredKiosk('lobby-1');
  hall = await registeredKiosk('hall-2');
});
afterAll(async () => {
  lobby.close();
  hall.close();
  await h.close();
  rmSync(kioskDir, { recursive: true, force: true });
});

const mismatchRows = async (event: string) =>
  (await h.issuer.storage.listAudit(0, 100_000)).filter(
    (row) => row.event === event && row.code === 'kiosk-session-mismatch',
  );

/** PKI-AUTH through `client` (signed, as the kiosk does it) → the session token. */
async function signedSignIn(client: HttpsIssuerClient): Promise<string> {
  const card = await h.card();
  const issued = await client.challenge();
  if (!issued.ok) throw new Error(issued.error.code);
  const kioskNonce = newKioskNonce();
  const session = await client.answerChallenge({
    challengeId: issued.value.challengeId,
    kioskNonce,
    certificateDer: card.der,
    signature: cardSign(card, pkiAuthMessageBytes(issued.value.challenge, kioskNonce)),
  });
  if (!session.ok) throw new Error(session.error.code);
  return session.value.sessionToken;
}

/** A phone's code shown on `token`'s session (number matching), ready to approve. */
async function shownPhone(token: string) {
  const device = await phoneStart(h.http);
  const shown = await lobby.showDevicePairing(token, device.user_code);
  if (!shown.ok) throw new Error(shown.error.code);
  return { userCode: device.user_code, matchNumber: shown.value.matchNumber };
}

const sessionOf = async (token: string) => h.issuer.storage.findKioskSessionByTokenHash(hashToken(token));

describe('a session opened by a signed kiosk is that kiosk’s', () => {
  it('another kiosk’s signed approve and an unsigned one are refused (403), audited; nothing is used up', async () => {
    const token = await signedSignIn(lobby);
    expect((await sessionOf(token))?.signedKioskId).toBe('lobby-1');
    const phone = await shownPhone(token);

    const other = await hall.approveUserCode(token, phone.userCode, phone.matchNumber);
    expect(other).toMatchObject({ ok: false, error: { code: 'kiosk-session-mismatch' } });
    const unsigned = await approveShown(h.http, token, phone.userCode, phone.matchNumber);
    expect([unsigned.status, unsigned.body.error]).toEqual([403, 'kiosk-session-mismatch']);
    expect((await mismatchRows('approve')).map((row) => row.details)).toEqual([
      expect.objectContaining({ sessionKiosk: 'lobby-1', callerKiosk: 'hall-2' }),
      expect.objectContaining({ sessionKiosk: 'lobby-1', callerKiosk: null }),
    ]);
    // No guess counted, no enrollment: the kiosk that opened the session approves the same phone as if nothing happened.
    expect((await sessionOf(token))?.userCodeFailures).toBe(0);
    const approved = await lobby.approveUserCode(token, phone.userCode, phone.matchNumber);
    if (!approved.ok) throw new Error(approved.error.code);
    expect((await h.issuer.storage.findEnrollment(approved.value.enrollmentId))?.kioskId).toBe('lobby-1');
  });

  it('another kiosk’s refresh and an unsigned one are refused (403), audited; the one-time password stays', async () => {
    const token = await signedSignIn(lobby);
    const phone = await shownPhone(token);
    const approved = await lobby.approveUserCode(token, phone.userCode, phone.matchNumber);
    if (!approved.ok) throw new Error(approved.error.code);
    const { enrollmentId } = approved.value;
    const otpHashBefore = (await h.issuer.storage.findEnrollment(enrollmentId))?.otpHash;

    expect(await hall.refreshEnrollment(token, enrollmentId)).toMatchObject({
      ok: false,
      error: { code: 'kiosk-session-mismatch' },
    });
    const unsigned = await h.http.route('refreshEnrollment', { params: { enrollmentId }, bearer: token });
    expect([unsigned.status, (unsigned.body as { error?: string }).error]).toEqual([403, 'kiosk-session-mismatch']);
    expect(await mismatchRows('refresh-otp')).toHaveLength(2);
    expect((await h.issuer.storage.findEnrollment(enrollmentId))?.otpHash).toBe(otpHashBefore);

    expect(await lobby.refreshEnrollment(token, enrollmentId)).toMatchObject({ ok: true });
    expect((await h.issuer.storage.findEnrollment(enrollmentId))?.otpHash).not.toBe(otpHashBefore);
  });

  it('a session opened unsigned is bound to no kiosk: unsigned and signed approves work as before', async () => {
    const { sessionToken } = await kioskSignIn(h.http, await h.card());
    expect((await sessionOf(sessionToken))?.signedKioskId).toBeNull();
    const first = await shownPhone(sessionToken);
    const unsigned = await approveShown(h.http, sessionToken, first.userCode, first.matchNumber);
    expect(unsigned.status).toBe(201);
    const { sessionToken: second } = await kioskSignIn(h.http, await h.card());
    const phone = await shownPhone(second);
    expect(await hall.approveUserCode(second, phone.userCode, phone.matchNumber)).toMatchObject({ ok: true });
  });
});
