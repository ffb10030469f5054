// Expiry (with the issuer's clock moved forward) and CSR refusals, against a real issuer on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePath } from '../../../contracts/issuer-routes.ts';
import type { EnrollmentCode, EnrollmentStatus } from '../../../contracts/issuer-api.ts';
import {
  answerChallenge,
  approve,
  challenge,
  makeCsr,
  opensslCsr,
  phonePoll,
  phoneStart,
  redeem,
  startHarness,
  upToRedeem,
  kioskSignIn,
} from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('issuer: expiry', () => {
  it('an expired OTP is refused; the kiosk sees "expired" and a fresh OTP works', async () => {
    const { code, accessToken, session } = await upToRedeem(h);
    h.advanceClock(601_000);
    const csr = await makeCsr();
    const late = await redeem(h.http, accessToken, code.enrollmentId, code.otp, csr);
    expect(late.status).toBe(410);
    expect(late.body.error).toBe('otp-expired');
    const status = await h.http.send<EnrollmentStatus>(
      'GET',
      routePath('enrollmentStatus', { enrollmentId: code.enrollmentId }),
      { bearer: session.sessionToken },
    );
    expect(status.body.state).toBe('expired');
    const fresh = await h.http.send<EnrollmentCode>(
      'POST',
      routePath('refreshEnrollment', { enrollmentId: code.enrollmentId }),
      { bearer: session.sessionToken },
    );
    expect(fresh.status).toBe(200);
    expect((await redeem(h.http, accessToken, code.enrollmentId, fresh.body.otp, csr)).status).toBe(200);
  });

  it('an expired user_code cannot be approved and the phone gets expired_token', async () => {
    const device = await phoneStart(h.http);
    const session = await kioskSignIn(h.http, await h.card());
    h.advanceClock((device.expires_in + 1) * 1000);
    const answer = await approve(h.http, session.sessionToken, device.user_code);
    expect(answer.status).toBe(410);
    expect(answer.body.error).toBe('user-code-expired');
    expect((await phonePoll(h.http, device.device_code)).body.error).toBe('expired_token');
  });

  it('an expired challenge is refused', async () => {
    const card = await h.card();
    const issued = await challenge(h.http);
    h.advanceClock((issued.expiresIn + 1) * 1000);
    expect((await answerChallenge(h.http, card, issued)).body.error).toBe('challenge-expired');
  });
});

describe('issuer: CSR refusals (the enrollment survives them)', () => {
  it('refuses weak keys, odd curves, bad self-signatures and garbage, then accepts RSA-2048', async () => {
    const { code, accessToken } = await upToRedeem(h);
    const attempt = (csr: string) => redeem(h.http, accessToken, code.enrollmentId, code.otp, csr);

    const rsa1024 = await attempt(
      await makeCsr({
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      }),
    );
    expect(rsa1024.status).toBe(422);
    expect(rsa1024.body.error).toBe('csr-weak-key');
    expect(rsa1024.body.message).toContain('2048');

    expect((await attempt(await makeCsr({ name: 'ECDSA', namedCurve: 'P-521' }))).body.error).toBe('csr-weak-key');
    expect((await attempt(opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']))).body.error).toBe(
      'csr-weak-key',
    );
    expect((await attempt(opensslCsr(['-newkey', 'ed25519']))).body.error).toBe('csr-weak-key');

    const good = await makeCsr();
    const der = Buffer.from(good.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0x01;
    const tampered = await attempt(der.toString('base64url'));
    expect(tampered.body.error).toBe('csr-bad-signature');

    // A CSR whose key differs from the key that signed it (the signature is someone else's).
    const other = Buffer.from((await makeCsr()).replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const swapped = Buffer.concat([der.subarray(0, der.length - 72), other.subarray(other.length - 72)]);
    expect((await attempt(swapped.toString('base64url'))).body.error).toMatch(/^csr-(bad-signature|invalid)$/);

    for (const garbage of [
      'not a csr',
      '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----',
      'MIIB',
    ]) {
      expect((await attempt(garbage)).body.error).toBe('csr-invalid');
    }

    const rsa2048 = await attempt(opensslCsr(['-newkey', 'rsa:2048']));
    expect(rsa2048.status).toBe(200);
  });
});
