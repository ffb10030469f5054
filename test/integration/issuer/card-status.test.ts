// The card's status after sign-in (issuer/card-status.ts), through a real issuer on loopback with real CRL files
// of the test PKI: a card revoked after PKI-AUTH approves no phone and redeems nothing, its session and waiting
// enrollments end; one sign-in approves one phone; a card too close to its end (or past it) gets no certificate.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePath } from '../../../contracts/issuer-routes.ts';
import type { EnrollmentStatus } from '../../../contracts/issuer-api.ts';
import { buildCrl } from '../../../virtual-card/revocation.ts';
import type { IssuedCardCertificate } from '../../../virtual-card/test-pki.ts';
import {
  approve,
  kioskSignIn,
  makeCsr,
  phonePoll,
  phoneStart,
  redeem,
  startHarness,
  upToRedeem,
} from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

/** Publishes the intermediate CA's CRL anew (a new file renamed into place, as a CRL publisher does). */
async function publishIntermediateCrl(
  h: IssuerHarness,
  options: { revoked?: IssuedCardCertificate[]; nextUpdate?: Date } = {},
): Promise<void> {
  const file = join(h.dataDir, 'intermediate.crl');
  writeFileSync(
    `${file}.new`,
    await buildCrl({
      issuer: h.pki.intermediate,
      revokedSerials: (options.revoked ?? []).map((card) => card.certificate.serialNumber),
      nextUpdate: options.nextUpdate ?? new Date(Date.now() + 86_400_000),
    }),
  );
  renameSync(`${file}.new`, file);
}

describe('issuer: a card revoked after sign-in', () => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startHarness({ config: { pkiAuth: { maxApprovalsPerSession: 2 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('approves no phone: the session ends, with an audit row', async () => {
    const card = await h.card();
    const session = await kioskSignIn(h.http, card);
    await publishIntermediateCrl(h, { revoked: [card] });
    try {
      const refused = await approve(h.http, session.sessionToken, (await phoneStart(h.http)).user_code);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('card-revoked');
      const again = await approve(h.http, session.sessionToken, (await phoneStart(h.http)).user_code);
      expect(again.body.error).toBe('invalid-session');
      const audit = await h.issuer.storage.listAudit(0, 10_000);
      expect(audit.filter((row) => row.event === 'card-revoked' && row.details.step === 'approve')).toHaveLength(1);
    } finally {
      await publishIntermediateCrl(h);
    }
  });

  it('redeems nothing, and every enrollment of the card still waiting for its phone ends', async () => {
    const card = await h.card();
    const first = await upToRedeem(h, card);
    // A second phone approved in another sign-in of the same card.
    const second = await upToRedeem(h, card);
    await publishIntermediateCrl(h, { revoked: [card] });
    try {
      const refused = await redeem(h.http, first.accessToken, first.code.enrollmentId, first.code.otp, await makeCsr());
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('card-revoked');
      // Even once the CRL no longer says so (a wrongly published CRL), what ended stays ended.
      await publishIntermediateCrl(h);
      const later = await redeem(
        h.http,
        second.accessToken,
        second.code.enrollmentId,
        second.code.otp,
        await makeCsr(),
      );
      expect(later.status).toBe(403);
      expect(later.body.error).toBe('card-revoked');
      const status = await h.http.send<EnrollmentStatus>(
        'GET',
        routePath('enrollmentStatus', { enrollmentId: second.code.enrollmentId }),
        { bearer: second.session.sessionToken },
      );
      expect(status.status).toBe(401); // the kiosk session died with the card
      const stored = await h.issuer.storage.findEnrollment(second.code.enrollmentId);
      expect(stored?.status).toBe('card-revoked');
      const audit = await h.issuer.storage.listAudit(0, 10_000);
      const revocation = audit.filter((row) => row.event === 'card-revoked' && row.details.step === 'redeem');
      expect(revocation).toHaveLength(1);
      expect(revocation[0]?.details.enrollmentsRevoked).toBe(2);
    } finally {
      await publishIntermediateCrl(h);
    }
  });

  it("issues nothing while the card's revocation status cannot be known (stale CRL), and goes on once it can", async () => {
    const { code, accessToken } = await upToRedeem(h);
    await publishIntermediateCrl(h, { nextUpdate: new Date(Date.now() - 60_000) });
    try {
      const refused = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
      expect(refused.status).toBe(503);
      expect(refused.body.error).toBe('card-status-unavailable');
    } finally {
      await publishIntermediateCrl(h);
    }
    expect((await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr())).status).toBe(200);
  });
});

describe('issuer: one sign-in approves one phone (the default)', () => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('a second code in the same session is refused, and the phone behind it is still free to use', async () => {
    const card = await h.card();
    const session = await kioskSignIn(h.http, card);
    expect((await approve(h.http, session.sessionToken, (await phoneStart(h.http)).user_code)).status).toBe(201);
    const second = await phoneStart(h.http);
    const refused = await approve(h.http, session.sessionToken, second.user_code);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('session-approval-limit');
    // A new sign-in can approve that phone.
    const again = await kioskSignIn(h.http, card);
    expect((await approve(h.http, again.sessionToken, second.user_code)).status).toBe(201);
    expect((await phonePoll(h.http, second.device_code)).status).toBe(200);
  });
});

describe("issuer: the card's dates at approve and redeem", () => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startHarness({
      config: {
        derivedCertificate: { minimumLifetimeHours: 1 },
        otp: { lifetimeSeconds: 3600 },
        deviceFlow: { accessTokenLifetimeSeconds: 3600 },
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a card that expires before the minimum lifetime is refused at approve', async () => {
    const card = await h.card({ notAfter: new Date(Date.now() + 30 * 60_000) });
    const session = await kioskSignIn(h.http, card);
    const refused = await approve(h.http, session.sessionToken, (await phoneStart(h.http)).user_code);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('card-expires-too-soon');
  });

  it("redeem re-checks the card's dates: a certificate shorter than the minimum is refused, nothing is issued", async () => {
    const card = await h.card({ notAfter: new Date(Date.now() + 100 * 60_000) });
    const { code, accessToken } = await upToRedeem(h, card);
    // 55 minutes left on the card: within every token's life, below the 1-hour minimum.
    h.advanceClock(45 * 60_000);
    const short = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
    expect(short.status).toBe(422);
    expect(short.body.error).toBe('card-expires-too-soon');
    expect((await h.issuer.storage.findEnrollment(code.enrollmentId))?.derivedCertificateSerialHex).toBeNull();
  });
});
