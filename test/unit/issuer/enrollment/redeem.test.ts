// Redeeming an enrollment, as a plain function: a fixed clock, real SQLite, a real CA, the real card re-check.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exchangeDeviceCode } from '../../../../issuer/device-flow/exchange-device-code.ts';
import { redeemEnrollment } from '../../../../issuer/enrollment/redeem.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import { makeCsr } from '../../../integration/issuer/issuer-fixture.ts';
import { showThenApprove, startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';
import type { CredentialStateChange } from '../../../../issuer/storage/issuer-storage.ts';

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
  it('the right OTP and a good CSR give a certificate, issued once: asked again, the same one comes back', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const issued = await redeem(accessToken, enrollmentId, otp, csr);
    expect(issued.ok).toBe(true);
    expect(issued.ok && issued.value.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(issued.ok && issued.value.repeatedDelivery).toBeUndefined();
    // The answer was lost on the way: the same phone asks again with the same key.
    const again = await redeem(accessToken, enrollmentId, otp, csr);
    expect(again).toMatchObject({ ok: true, value: { repeatedDelivery: true } });
    expect(again.ok && again.value.certificatePem).toBe(issued.ok && issued.value.certificatePem);
    expect(again.ok && again.value.serialNumberHex).toBe(issued.ok && issued.value.serialNumberHex);
    expect(await h.ctx.storage.listDerivedCredentials({}, 10)).toHaveLength(1);
    expect((await h.auditCodes()).filter(([event]) => event === 'redeem')).toEqual([
      ['redeem', null],
      ['redeem', 'repeated-delivery'],
    ]);
  });

  it('a completed enrollment is refused as before to another key, past the OTP, and once its credential is revoked', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const issued = await redeem(accessToken, enrollmentId, otp, csr);
    const completed = { ok: false, error: { code: 'enrollment-completed' } };
    expect(await redeem(accessToken, enrollmentId, otp, await makeCsr())).toMatchObject(completed);
    expect(await redeem(accessToken, enrollmentId, otp, 'not a csr')).toMatchObject(completed);
    // Revoked (here by an administrator; a renewal's superseding or the card's revocation alike): not sent again.
    const serialNumberHex = issued.ok ? issued.value.serialNumberHex : '';
    const at = h.ctx.now().getTime();
    const change: CredentialStateChange = {
      serialNumberHex,
      from: ['active'],
      to: 'revoked',
      reason: 'keyCompromise',
      at,
      notExpiredAt: at,
    };
    await h.ctx.storage.changeCredentialState(change, {
      at,
      event: 'credential-revoke',
      outcome: 'success',
      code: null,
      details: { serialNumberHex },
    });
    expect(await redeem(accessToken, enrollmentId, otp, csr)).toMatchObject(completed);

    const second = await approved();
    const secondCsr = await makeCsr();
    expect(await redeem(second.accessToken, second.enrollmentId, second.otp, secondCsr)).toMatchObject({ ok: true });
    // Another phone's token, with the right OTP and key: whose it is, as before.
    expect(await redeem(accessToken, second.enrollmentId, second.otp, secondCsr)).toMatchObject({
      ok: false,
      error: { code: 'wrong-device' },
    });
    h.advance(h.ctx.config.otp.lifetimeSeconds * 1000);
    expect(await redeem(second.accessToken, second.enrollmentId, second.otp, secondCsr)).toMatchObject(completed);
    expect((await h.auditCodes()).filter(([event]) => event === 'redeem').map(([, code]) => code)).toEqual([
      null,
      'enrollment-completed',
      'enrollment-completed',
      'enrollment-completed',
      null,
      'wrong-device',
      'enrollment-completed',
    ]);
  });

  it('a wrong OTP on a completed enrollment counts: at the limit even the right one no longer brings the certificate', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const wrong = otp === '00000000' ? '11111111' : '00000000';
    expect(await redeem(accessToken, enrollmentId, wrong, csr)).toMatchObject({ error: { code: 'otp-wrong' } });
    expect(await redeem(accessToken, enrollmentId, otp, csr)).toMatchObject({ ok: true });
    const completed = { ok: false, error: { code: 'enrollment-completed' } };
    // maxAttempts is 3: one wrong before, two after.
    expect(await redeem(accessToken, enrollmentId, wrong, csr)).toMatchObject(completed);
    expect(await redeem(accessToken, enrollmentId, otp, csr)).toMatchObject({ ok: true });
    expect(await redeem(accessToken, enrollmentId, wrong, csr)).toMatchObject(completed);
    expect(await redeem(accessToken, enrollmentId, otp, csr)).toMatchObject(completed);
    // Counted, never burned: the certificate issued stays what it is.
    expect(await h.ctx.storage.findEnrollment(enrollmentId)).toMatchObject({ status: 'completed', otpFailures: 3 });
    expect(await h.ctx.storage.listDerivedCredentials({ status: 'active' }, 10)).toHaveLength(1);
    expect((await h.auditCodes()).filter(([event]) => event === 'redeem').map(([, code]) => code)).toEqual([
      'otp-wrong',
      null,
      'otp-wrong',
      'repeated-delivery',
      'otp-wrong',
      'enrollment-completed',
    ]);
  });

  it('a wrong OTP on a completed enrollment is a guess: the per-phone guess limit refuses it like any other', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const tight = { guesses: new FixedWindowRateLimiter(2, 60_000), affirmationPolls };
    const redeemLimited = (code: string) =>
      redeemEnrollment(h.ctx, tight, { accessToken, enrollmentId, request: { otp: code, csr }, ip: '127.0.0.1' });
    expect(await redeemLimited(otp)).toMatchObject({ ok: true });
    const wrong = otp === '00000000' ? '11111111' : '00000000';
    expect(await redeemLimited(wrong)).toMatchObject({ error: { code: 'enrollment-completed' } });
    expect(await redeemLimited(otp)).toMatchObject({ error: { code: 'rate-limited' } });
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

  it('200 concurrent redeems of one enrollment with one key: one certificate issued, every answer carries it', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const csr = await makeCsr();
    const answers = await Promise.all(Array.from({ length: 200 }, () => redeem(accessToken, enrollmentId, otp, csr)));
    const serials = new Set(answers.map((answer) => (answer.ok ? answer.value.serialNumberHex : answer.error.code)));
    expect(serials.size).toBe(1);
    expect(answers.filter((answer) => answer.ok && answer.value.repeatedDelivery === undefined)).toHaveLength(1);
    const codes = (await h.auditCodes()).filter(([event]) => event === 'redeem').map(([, code]) => code);
    expect(codes.filter((code) => code === null)).toHaveLength(1);
    expect(codes.filter((code) => code === 'repeated-delivery')).toHaveLength(199);
    expect(await h.ctx.storage.listDerivedCredentials({}, 10)).toHaveLength(1);
  });

  it('concurrent redeems of one enrollment with two keys: one certificate, the other key refused', async () => {
    const { enrollmentId, otp, accessToken } = await approved();
    const [first, second] = [await makeCsr(), await makeCsr()];
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => redeem(accessToken, enrollmentId, otp, i % 2 === 0 ? first : second)),
    );
    expect(new Set(answers.filter((a) => a.ok).map((a) => (a.ok ? a.value.serialNumberHex : '')))).toHaveProperty(
      'size',
      1,
    );
    expect(answers.filter((answer) => !answer.ok)).toHaveLength(10);
    expect(await h.ctx.storage.listDerivedCredentials({}, 10)).toHaveLength(1);
  });
});
