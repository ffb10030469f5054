// The issuer end to end on loopback: real HTTPS, a real SQLite file (or PostgreSQL database: the twin
// issuer-flow.postgres.test.ts), real certificates from the demo PKI.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER_API, OPERATIONS_PATHS, routePath } from '../../../contracts/issuer-routes.ts';
import { parseQrPayload } from '../../../contracts/qr-payload.ts';
import type { EnrollmentStatus } from '../../../contracts/issuer-api.ts';
import {
  answerChallenge,
  approve,
  b64u,
  cardSign,
  challenge,
  databaseText,
  harnessSql,
  kioskSignIn,
  makeCsr,
  phonePoll,
  phoneStart,
  redeem,
  startHarness,
  upToRedeem,
} from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('issuer: the whole flow', () => {
  it('device code → PKI-AUTH → approve → token → redeem issues a derived PIV Authentication certificate', async () => {
    const device = await phoneStart(h.http);
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.expires_in).toBeLessThanOrEqual(900);
    expect((await phonePoll(h.http, device.device_code)).body.error).toBe('authorization_pending');

    const card = await h.card();
    const session = await kioskSignIn(h.http, card);
    expect(session.cardholder.uuid).toBe(card.uuid);

    // Typed in lower case without the dash: still the same code.
    const approved = await approve(h.http, session.sessionToken, device.user_code.replace('-', '').toLowerCase());
    expect(approved.status).toBe(201);
    expect(approved.body.otp).toMatch(/^\d{8}$/);
    const qr = parseQrPayload(approved.body.qrPayload);
    expect(qr).toEqual({ ok: true, issuerBaseUrl: h.issuer.url, enrollmentId: approved.body.enrollmentId });
    expect(approved.body.qrPayload.length).toBeLessThan(80);

    const statusBefore = await h.http.send<EnrollmentStatus>(
      'GET',
      routePath('enrollmentStatus', { enrollmentId: approved.body.enrollmentId }),
      { bearer: session.sessionToken },
    );
    expect(statusBefore.body.state).toBe('awaiting-phone');
    // Kiosk long-polls while the phone redeems.
    const longPoll = h.http.send<EnrollmentStatus>(
      'GET',
      `${routePath('enrollmentStatus', { enrollmentId: approved.body.enrollmentId })}?waitSeconds=20`,
      { bearer: session.sessionToken },
    );

    h.advanceClock(device.interval * 1000);
    const token = await phonePoll(h.http, device.device_code);
    expect(token.status).toBe(200);
    expect(token.body.token_type).toBe('Bearer');
    const redeemed = await redeem(
      h.http,
      token.body.access_token,
      approved.body.enrollmentId,
      approved.body.otp,
      await makeCsr(),
    );
    expect(redeemed.status).toBe(200);

    const certificate = new x509.X509Certificate(redeemed.body.certificatePem);
    const ca = new x509.X509Certificate(h.issuer.caCertificatePem);
    expect(await certificate.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(redeemed.body.chainPem[0]).toBe(h.issuer.caCertificatePem);
    const policies = certificate.getExtension(x509.CertificatePolicyExtension);
    expect(policies?.policies).toEqual(['2.16.840.1.101.3.2.1.3.40']);
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual(['1.3.6.1.5.5.7.3.2']);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
    expect(keyUsage?.critical).toBe(true);
    expect(keyUsage?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.items.map((name) => name.value)).toEqual([`urn:uuid:${card.uuid}`]);
    expect(certificate.notAfter.getTime()).toBeLessThanOrEqual(card.certificate.notAfter.getTime());
    // An independent implementation agrees: OpenSSL builds the chain and accepts it for client authentication.
    writeFileSync(join(h.dataDir, 'derived.pem'), redeemed.body.certificatePem);
    writeFileSync(join(h.dataDir, 'chain.pem'), redeemed.body.chainPem.join(''));
    const verdict = execFileSync(
      'openssl',
      ['verify', '-purpose', 'sslclient', '-CAfile', join(h.dataDir, 'chain.pem'), join(h.dataDir, 'derived.pem')],
      { encoding: 'utf8' },
    );
    expect(verdict).toContain(': OK');

    const finished = await longPoll;
    expect(finished.body.state).toBe('completed');
    expect(finished.body.certificateSerialHex).toBe(redeemed.body.serialNumberHex);

    // The device_code is spent; a second redeem is refused.
    h.advanceClock(device.interval * 1000);
    expect((await phonePoll(h.http, device.device_code)).body.error).toBe('invalid_grant');
    expect(
      (await redeem(h.http, token.body.access_token, approved.body.enrollmentId, approved.body.otp, await makeCsr()))
        .body.error,
    ).toBe('enrollment-completed');

    // Records: card ↔ derived certificate ↔ device.
    const [row = {}] = await harnessSql(
      h,
      `SELECT c.serial_number_hex AS card_serial, c.uuid, c.fascn_hex, d.client_id, x.serial_number_hex
      FROM derived_certificates x JOIN cards c ON c.id = x.card_id JOIN device_authorizations d ON d.id = x.device_authorization_id
      WHERE x.serial_number_hex = ?`,
      [redeemed.body.serialNumberHex],
    );
    expect(row.card_serial).toBe(card.certificate.serialNumber.toLowerCase());
    expect(row.uuid).toBe(card.uuid);
    expect(row.client_id).toBe('dck-phone');
  });

  it('a derived certificate never outlives the card certificate', async () => {
    const notAfter = new Date(Date.now() + 3 * 86_400_000);
    const { code, accessToken } = await upToRedeem(h, await h.card({ notAfter }));
    const redeemed = await redeem(
      h.http,
      accessToken,
      code.enrollmentId,
      code.otp,
      await makeCsr({ name: 'ECDSA', namedCurve: 'P-384' }),
    );
    expect(redeemed.status).toBe(200);
    expect(new Date(redeemed.body.notAfter).getTime()).toBeLessThanOrEqual(
      Math.floor(notAfter.getTime() / 1000) * 1000,
    );
  });

  it('serves an OpenAPI document and issuer metadata', async () => {
    const openApi = await h.http.send<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      OPERATIONS_PATHS.openApi,
    );
    expect(openApi.body.openapi).toMatch(/^3\./);
    expect(Object.keys(openApi.body.paths)).toContain(
      ISSUER_API.redeemEnrollment.path.replace(':enrollmentId', '{enrollmentId}'),
    );
    const metadata = await h.http.send<{ caCertificatePem: string }>('GET', ISSUER_API.metadata.path);
    expect(metadata.body.caCertificatePem).toBe(h.issuer.caCertificatePem);
  });
});

describe('issuer: server-sent events', () => {
  it('streams the enrollment state to the kiosk until the phone finishes', async () => {
    const { code, accessToken, session } = await upToRedeem(h);
    const csrForEvents = await makeCsr();
    const events: string[] = [];
    const streamEnded = new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        new URL(routePath('enrollmentEvents', { enrollmentId: code.enrollmentId }), h.issuer.url),
        {
          ca: h.issuer.tlsCertificatePem,
          headers: { authorization: `Bearer ${session.sessionToken}` },
        },
        (res) => {
          expect(res.headers['content-type']).toContain('text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            events.push(
              ...chunk
                .split('\n')
                .filter((line) => line.startsWith('data: '))
                .map((line) => line.slice(6)),
            );
            if (events.length === 1) {
              redeem(h.http, accessToken, code.enrollmentId, code.otp, csrForEvents).catch(reject);
            }
          });
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });
    await streamEnded;
    expect(events.map((data) => (JSON.parse(data) as EnrollmentStatus).state)).toEqual(['awaiting-phone', 'completed']);
  });
});

describe('issuer: PKI-AUTH refusals', () => {
  it('refuses a replayed challenge', async () => {
    const card = await h.card();
    const issued = await challenge(h.http);
    expect((await answerChallenge(h.http, card, issued)).status).toBe(200);
    const replay = await answerChallenge(h.http, card, issued);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('challenge-used');
  });

  it("refuses a signature over a foreign challenge (another kiosk request's)", async () => {
    const card = await h.card();
    const mine = await challenge(h.http);
    const foreign = await challenge(h.http);
    const answer = await answerChallenge(h.http, card, mine, {
      signedChallenge: new Uint8Array(Buffer.from(foreign.challenge, 'base64url')),
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('bad-signature');
  });

  it('issues 32-byte challenges and refuses a valid card signature over the raw challenge (the pre-v1 form)', async () => {
    const card = await h.card();
    const issued = await challenge(h.http);
    const raw = new Uint8Array(Buffer.from(issued.challenge, 'base64url'));
    expect(raw.length).toBe(32);
    const answer = await answerChallenge(h.http, card, issued, { signature: cardSign(card, raw) });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('bad-signature');
  });

  it('refuses a kiosk nonce of the wrong length (400) and keeps the challenge usable', async () => {
    const card = await h.card();
    const issued = await challenge(h.http);
    for (const kioskNonce of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(16)]) {
      const answer = await answerChallenge(h.http, card, issued, {
        kioskNonce,
        signature: cardSign(card, new Uint8Array(80)),
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('bad-request');
    }
    const missing = await h.http.send('POST', ISSUER_API.pkiAuthResponse.path, {
      json: {
        challengeId: issued.challengeId,
        certificate: b64u(card.der),
        signature: b64u(cardSign(card, new Uint8Array(80))),
      },
    });
    expect(missing.status).toBe(400);
    expect((await answerChallenge(h.http, card, issued)).status).toBe(200);
  });

  it('refuses an unknown challenge id', async () => {
    const answer = await answerChallenge(h.http, await h.card(), {
      challengeId: 'AAAAAAAAAAAAAAAAAAAAAA',
      challenge: b64u(new Uint8Array(32)),
      expiresIn: 60,
    });
    expect(answer.body.error).toBe('challenge-unknown');
  });
});

describe('issuer: device flow refusals', () => {
  it('answers slow_down when polled faster than the interval, and raises the interval', async () => {
    const device = await phoneStart(h.http);
    expect((await phonePoll(h.http, device.device_code)).body.error).toBe('authorization_pending');
    const fast = await phonePoll(h.http, device.device_code);
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe('slow_down');
    expect(fast.text).toContain(String(device.interval + 5));
  });

  it('refuses an unknown user_code, counts it, and ends the kiosk session after 5', async () => {
    const session = await kioskSignIn(h.http, await h.card());
    for (let i = 0; i < 4; i += 1) {
      const answer = await approve(h.http, session.sessionToken, 'BBBB-BBBB');
      expect(answer.status).toBe(404);
      expect(answer.body.error).toBe('user-code-unknown');
    }
    expect((await approve(h.http, session.sessionToken, 'BBBB-BBBB')).body.error).toBe('user-code-unknown');
    const device = await phoneStart(h.http);
    expect((await approve(h.http, session.sessionToken, device.user_code)).body.error).toBe('invalid-session');
  });

  it('refuses a malformed user_code without a lookup', async () => {
    const session = await kioskSignIn(h.http, await h.card());
    const answer = await approve(h.http, session.sessionToken, 'AEIO-1234');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('user-code-invalid');
  });

  it('refuses approval without a kiosk session', async () => {
    const device = await phoneStart(h.http);
    expect((await approve(h.http, 'x'.repeat(43), device.user_code)).body.error).toBe('invalid-session');
  });

  it('refuses a user_code approved twice', async () => {
    const device = await phoneStart(h.http);
    const session = await kioskSignIn(h.http, await h.card());
    expect((await approve(h.http, session.sessionToken, device.user_code)).status).toBe(201);
    expect((await approve(h.http, session.sessionToken, device.user_code)).body.error).toBe('user-code-already-used');
  });
});

describe('issuer: enrollment refusals', () => {
  it('five wrong OTPs burn the enrollment; the right one is refused afterwards and the token says access_denied', async () => {
    const { code, accessToken, device } = await upToRedeem(h);
    const csr = await makeCsr();
    const wrong = code.otp === '00000000' ? '11111111' : '00000000';
    for (let i = 1; i <= 4; i += 1) {
      const answer = await redeem(h.http, accessToken, code.enrollmentId, wrong, csr);
      expect(answer.body.error).toBe('otp-wrong');
      expect(answer.body.attemptsLeft).toBe(5 - i);
    }
    expect((await redeem(h.http, accessToken, code.enrollmentId, wrong, csr)).body.error).toBe('enrollment-burned');
    const right = await redeem(h.http, accessToken, code.enrollmentId, code.otp, csr);
    expect(right.status).toBe(410);
    expect(right.body.error).toBe('enrollment-burned');
    h.advanceClock(device.interval * 1000);
    expect((await phonePoll(h.http, device.device_code)).body.error).toBe('access_denied');
  });

  it('redemption from another device is refused, and does not cost the real phone a try', async () => {
    const first = await upToRedeem(h);
    const other = await upToRedeem(h);
    const csr = await makeCsr();
    const stolen = await redeem(h.http, other.accessToken, first.code.enrollmentId, first.code.otp, csr);
    expect(stolen.status).toBe(403);
    expect(stolen.body.error).toBe('wrong-device');
    expect((await redeem(h.http, first.accessToken, first.code.enrollmentId, first.code.otp, csr)).status).toBe(200);
  });

  it('a fresh QR/OTP kills the old one', async () => {
    const { code, accessToken, session } = await upToRedeem(h);
    const fresh = await h.http.send<{ otp: string }>(
      'POST',
      routePath('refreshEnrollment', { enrollmentId: code.enrollmentId }),
      { bearer: session.sessionToken },
    );
    expect(fresh.status).toBe(200);
    const csr = await makeCsr();
    if (fresh.body.otp !== code.otp) {
      expect((await redeem(h.http, accessToken, code.enrollmentId, code.otp, csr)).body.error).toBe('otp-wrong');
    }
    expect((await redeem(h.http, accessToken, code.enrollmentId, fresh.body.otp, csr)).status).toBe(200);
  });

  it('refuses redeem without a device token', async () => {
    const { code } = await upToRedeem(h);
    expect((await redeem(h.http, 'y'.repeat(43), code.enrollmentId, code.otp, await makeCsr())).body.error).toBe(
      'invalid-token',
    );
  });
});

describe('issuer: bad input', () => {
  it('refuses oversized bodies with 413 and stores nothing', async () => {
    const answer = await h.http.send('POST', ISSUER_API.pkiAuthResponse.path, {
      json: { challengeId: 'AAAAAAAAAAAAAAAAAAAAAA', certificate: 'A'.repeat(40_000), signature: 'AA' },
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: 'payload-too-large' });
  });

  it('refuses unknown fields, over-long strings and wrong types with 400 bad-request', async () => {
    for (const json of [{ kioskId: 'k', extra: 1 }, { kioskId: 'k'.repeat(65) }, { kioskId: 5 }]) {
      const answer = await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, { json });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'bad-request' });
    }
    const notJson = await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, {
      raw: '{"kioskId":',
      contentType: 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect(
      (await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, { raw: 'hello', contentType: 'text/plain' })).status,
    ).toBe(400);
    const plain = await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, {
      raw: '<a/>',
      contentType: 'application/xml',
    });
    expect(plain.status).toBe(415);
    expect(plain.body).toMatchObject({ error: 'unsupported-media-type' });
    const proto = await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, {
      raw: '{"__proto__":{"x":1}}',
      contentType: 'application/json',
    });
    expect(proto.status).toBe(400);
    const oauth = await h.http.send('POST', ISSUER_API.deviceAuthorization.path, {
      form: { client_id: 'dck-phone', bogus: 'x' },
    });
    expect(oauth.status).toBe(400);
    expect(oauth.body).toMatchObject({ error: 'invalid_request' });
    const repeated = await h.http.send('POST', ISSUER_API.deviceAuthorization.path, {
      raw: 'client_id=a&client_id=b',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(repeated.status).toBe(400);
  });

  it('refuses an unregistered client_id', async () => {
    const answer = await h.http.send('POST', ISSUER_API.deviceAuthorization.path, {
      json: { client_id: 'someone-else' },
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: 'invalid_client' });
  });
});

describe('issuer: audit log', () => {
  it('records every step, successes and failures, and never an OTP, user_code or token', async () => {
    const { code, accessToken, device, session } = await upToRedeem(h);
    await redeem(
      h.http,
      accessToken,
      code.enrollmentId,
      code.otp === '12345678' ? '87654321' : '12345678',
      await makeCsr(),
    );
    await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
    const entries = await h.issuer.storage.listAudit(0, 100_000);
    const events = new Set(entries.map((entry) => `${entry.event}:${entry.outcome}`));
    for (const expected of [
      'device-authorization:success',
      'pki-auth:success',
      'pki-auth:failure',
      'pairing-shown:success',
      'pairing-shown:failure',
      'approve:success',
      'token:success',
      'redeem:success',
      'redeem:failure',
      'refresh-otp:success',
    ]) {
      expect(events).toContain(expected);
    }
    const dump = JSON.stringify(entries) + (await databaseText(h));
    for (const secret of [
      code.otp,
      device.user_code,
      device.user_code.replace('-', ''),
      device.device_code,
      accessToken,
      session.sessionToken,
    ]) {
      expect(dump).not.toContain(secret);
    }
    await expect(harnessSql(h, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(harnessSql(h, "UPDATE audit_log SET outcome = 'success'")).rejects.toThrow(/append-only/);
  });
});
