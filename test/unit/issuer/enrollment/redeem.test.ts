// Redeeming an enrollment, as a plain function: a fixed clock, real SQLite, a real CA, the real card re-check.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exchangeDeviceCode } from '../../../../issuer/device-flow/exchange-device-code.ts';
import { redeemEnrollment } from '../../../../issuer/enrollment/redeem.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import { makeCsr } from '../../../integration/issuer/issuer-fixture.ts';
import { showThenApprove, startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';

let h: RuleHarness;
const guesses = new FixedWindowRateLimiter(1000, 60_000);
const affirmationPolls = new FixedWindowRateLimiter(1000, 60_000);
beforeEach(async () => {
  h = await startRuleHarness({ otp: { maxAttempts: 3 } });
});
afterEach(async () => {
  await h.close();
});

/** Sign-in, approve and the phone's token: the enrollment waiting for its phone. */
async function approved(): Promise<{ enrollmentId: string; otp: string; accessToken: string }> {
  const session = await h.signIn(await h.card());
  const phone = await h.startPhone();
  const code = await showThenApprove(h.ctx, guesses, {
    sessionToken: session,
    userCode: phone.userCode,
    ip: '127.0.0.1',
  });
  if (!code.ok) throw new Error(code.error.code);
  const token = await exchangeDeviceCode(h.ctx, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: phone.deviceCode,
    client_id: 'dck-phone',
    ip: '127.0.0.1',
  });
  if (!token.ok) throw new Error(token.error.code);
  return { enrollmentId: code.value.enrollmentId, otp: code.value.otp, accessToken: token.value.access_token };
}

const redeem = (accessToken: string | null, enrollmentId: string, otp: string, csr: string) =>
  redeemEnrollment(
    h.ctx,
    { guesses, affirmationPolls },
    { accessToken, enrollmentId, request: { otp, csr }, ip: '127.0.0.1' },
  );

describe('redeemEnrollment', () => {
  it('the right OTP and a good CSR give a certificate, once', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const issued = await redeem(accessToken, enrollmentId, otp, csr);
    expect(issued.ok).toBe(true);
    expect(issued.ok && issued.value.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await redeem(accessToken, enrollmentId, otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'enrollment-completed' },
    });
  });

  it('wrong OTPs count down, and the last one burns the enrollment', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const wrong = otp === '00000000' ? '11111111' : '00000000';
    expect(await redeem(accessToken, enrollmentId, wrong, csr)).toMatchObject({
      ok: false,
      error: { code: 'otp-wrong', attemptsLeft: 2 },
    });
    expect(await redeem(accessToken, enrollmentId, wrong, csr)).toMatchObject({
      ok: false,
      error: { code: 'otp-wrong', attemptsLeft: 1 },
    });
    expect(await redeem(accessToken, enrollmentId, wrong, csr)).toMatchObject({
      ok: false,
      error: { code: 'enrollment-burned' },
    });
    expect(await redeem(accessToken, enrollmentId, otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'enrollment-burned' },
    });
  });

  it("the right OTP past its lifetime on the issuer's clock is refused", async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    h.advance(h.ctx.config.otp.lifetimeSeconds * 1000);
    expect(await redeem(accessToken, enrollmentId, otp, await makeCsr())).toMatchObject({
      ok: false,
      error: { code: 'otp-expired' },
    });
  });

  it("refuses without a token, another phone's enrollment, and a CSR that is not one, with audit rows", async () => {
    const first = await approved();
    const second = await approved();
    const csr = await makeCsr();
    expect(await redeem(null, first.enrollmentId, first.otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'invalid-token' },
    });
    expect(await redeem(second.accessToken, first.enrollmentId, first.otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'wrong-device' },
    });
    const garbage = await redeem(first.accessToken, first.enrollmentId, first.otp, 'not a csr');
    expect(garbage).toMatchObject({ ok: false, error: { code: 'csr-invalid' } });
    expect(JSON.stringify(garbage)).not.toContain(first.otp);
    expect((await h.auditCodes()).filter(([event]) => event === 'redeem')).toEqual([
      ['redeem', 'invalid-token'],
      ['redeem', 'wrong-device'],
      ['redeem', 'csr-invalid'],
    ]);
  });

  it('refuses in one order: the token, then the enrollment, then whose it is, then its state', async () => {
    const first = await approved();
    const second = await approved();
    const csr = await makeCsr();
    expect(await redeem('no-such-token', 'no-such-enrollment', first.otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'invalid-token' },
    });
    expect(await redeem(first.accessToken, 'no-such-enrollment', first.otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'enrollment-unknown' },
    });
    const wrong = second.otp === '00000000' ? '11111111' : '00000000';
    for (let i = 0; i < 3; i += 1) await redeem(second.accessToken, second.enrollmentId, wrong, csr);
    // Another phone's burned enrollment: whose it is comes before what became of it.
    expect(await redeem(first.accessToken, second.enrollmentId, second.otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'wrong-device' },
    });
    // Past the access token's lifetime the token is no token, before its enrollment's expired OTP is looked at.
    h.advance(h.ctx.config.deviceFlow.accessTokenLifetimeSeconds * 1000);
    expect(await redeem(first.accessToken, first.enrollmentId, first.otp, csr)).toMatchObject({
      ok: false,
      error: { code: 'invalid-token' },
    });
    expect((await h.auditCodes()).filter(([event]) => event === 'redeem')).toEqual([
      ['redeem', 'invalid-token'],
      ['redeem', 'enrollment-unknown'],
      ['redeem', 'otp-wrong'],
      ['redeem', 'otp-wrong'],
      ['redeem', 'enrollment-burned'],
      ['redeem', 'wrong-device'],
      ['redeem', 'invalid-token'],
    ]);
  });

  it('200 concurrent redeems of one enrollment give exactly one certificate and one audit row of issuance', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const answers = await Promise.all(Array.from({ length: 200 }, () => redeem(accessToken, enrollmentId, otp, csr)));
    expect(answers.filter((answer) => answer.ok)).toHaveLength(1);
    const issued = (await h.auditCodes()).filter(([event, code]) => event === 'redeem' && code === null);
    expect(issued).toHaveLength(1);
    expect(await h.ctx.storage.listDerivedCredentials({}, 10)).toHaveLength(1);
  });
});
