// How many codes anyone gets to try, counted in the database: wrong user_codes per card over all its sessions
// (and never more than the limit even when guesses arrive together), wrong OTPs per enrollment over every refresh
// of the kiosk's code. Real issuer on loopback, real SQLite file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePath } from '../../../contracts/issuer-routes.ts';
import type { EnrollmentCode } from '../../../contracts/issuer-api.ts';
import { approve, kioskSignIn, makeCsr, phoneStart, redeem, startHarness, upToRedeem } from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

const WRONG_CODE = 'BBBB-BBBB';

describe('issuer: wrong user_codes are counted per card', () => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startHarness({
      config: {
        pkiAuth: { maxUserCodeFailures: 3, maxUserCodeFailuresPerCard: 5 },
        rateLimits: { codeGuessesPerMinute: 1000 },
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it("a new sign-in does not bring new tries: the card's limit holds over its sessions", async () => {
    const card = await h.card();
    const first = await kioskSignIn(h.http, card);
    for (let i = 0; i < 3; i += 1)
      expect((await approve(h.http, first.sessionToken, WRONG_CODE)).body.error).toBe('user-code-unknown');
    expect((await approve(h.http, first.sessionToken, WRONG_CODE)).body.error).toBe('invalid-session');
    const second = await kioskSignIn(h.http, card);
    for (let i = 0; i < 2; i += 1)
      expect((await approve(h.http, second.sessionToken, WRONG_CODE)).body.error).toBe('user-code-unknown');
    const exhausted = await approve(h.http, second.sessionToken, WRONG_CODE);
    expect(exhausted.status).toBe(429);
    expect(exhausted.body.error).toBe('user-code-attempts-exhausted');
    // Not even a right code is looked at any more (its phone can use another card or wait for the window).
    const device = await phoneStart(h.http);
    expect((await approve(h.http, (await kioskSignIn(h.http, card)).sessionToken, device.user_code)).body.error).toBe(
      'user-code-attempts-exhausted',
    );
    // Another card is not affected.
    expect(
      (await approve(h.http, (await kioskSignIn(h.http, await h.card())).sessionToken, device.user_code)).status,
    ).toBe(201);
  });

  it("concurrent wrong codes of one session never get past the session's limit", async () => {
    const session = await kioskSignIn(h.http, await h.card());
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => approve(h.http, session.sessionToken, WRONG_CODE)),
    );
    const looked = answers.filter((answer) => answer.body.error === 'user-code-unknown');
    expect(looked).toHaveLength(3);
    expect(
      answers.every((answer) => answer.body.error === 'user-code-unknown' || answer.body.error === 'invalid-session'),
    ).toBe(true);
  });

  it("a right code gives its guess back: typing codes correctly never uses up the card's tries", async () => {
    const card = await h.card();
    for (let i = 0; i < 6; i += 1) {
      const session = await kioskSignIn(h.http, card);
      expect((await approve(h.http, session.sessionToken, (await phoneStart(h.http)).user_code)).status).toBe(201);
    }
  });
});

describe('issuer: wrong OTPs are counted per enrollment', () => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startHarness({ config: { otp: { maxAttempts: 5 } } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a kiosk refresh gives a new OTP, not new tries', async () => {
    const { code, accessToken, session } = await upToRedeem(h);
    const csr = await makeCsr();
    for (let i = 0; i < 3; i += 1)
      expect((await redeem(h.http, accessToken, code.enrollmentId, '00000000', csr)).body.error).toBe('otp-wrong');
    const refreshed = await h.http.send<EnrollmentCode>(
      'POST',
      routePath('refreshEnrollment', { enrollmentId: code.enrollmentId }),
      { bearer: session.sessionToken },
    );
    expect(refreshed.status).toBe(200);
    const fourth = await redeem(h.http, accessToken, code.enrollmentId, '00000000', csr);
    expect(fourth.body.attemptsLeft).toBe(1);
    const fifth = await redeem(h.http, accessToken, code.enrollmentId, '00000000', csr);
    expect(fifth.status).toBe(410);
    expect(fifth.body.error).toBe('enrollment-burned');
    expect((await redeem(h.http, accessToken, code.enrollmentId, refreshed.body.otp, csr)).body.error).toBe(
      'enrollment-burned',
    );
  });
});
