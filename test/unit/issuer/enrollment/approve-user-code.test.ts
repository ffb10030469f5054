// Approving a phone's user_code, as a plain function: a fixed clock, real SQLite, the real PKI-AUTH verifier.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveUserCode } from '../../../../issuer/enrollment/approve-user-code.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import { startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';

let h: RuleHarness;
let guesses: FixedWindowRateLimiter;
beforeEach(async () => {
  h = await startRuleHarness({ pkiAuth: { maxUserCodeFailures: 3 } });
  guesses = new FixedWindowRateLimiter(30, 60_000);
});
afterEach(async () => {
  await h.close();
});

const approve = (sessionToken: string | null, userCode: string) =>
  approveUserCode(h.ctx, guesses, { sessionToken, userCode, ip: '127.0.0.1' });

describe('approveUserCode', () => {
  it('binds the phone to the card: an enrollment with a QR payload of this issuer and a fresh OTP', async () => {
    const session = await h.signIn(await h.card());
    const phone = await h.startPhone();
    const result = await approve(session, phone.userCode.toLowerCase());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.qrPayload).toBe(`https://issuer.test/e/${result.value.enrollmentId}`);
    expect(result.value.otp).toMatch(/^\d{8}$/);
    expect(await h.auditCodes()).toContainEqual(['approve', null]);
  });

  it('a code past its lifetime on the issuer\'s clock is refused as expired, and the guess is given back', async () => {
    const session = await h.signIn(await h.card());
    const phone = await h.startPhone();
    h.advance(h.ctx.config.deviceFlow.codeLifetimeSeconds * 1000);
    expect(await approve(session, phone.userCode)).toMatchObject({ ok: false, error: { code: 'user-code-expired' } });
    // Given back: three unknown codes still fit in the session's three failures.
    const refusals = [];
    for (let i = 0; i < 3; i += 1) refusals.push(await approve(session, 'BCDF-GHJK'));
    expect(refusals.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['user-code-unknown', 'user-code-unknown', 'user-code-unknown']);
  });

  it('unknown codes count down the tries left, then the session ends', async () => {
    const session = await h.signIn(await h.card());
    const first = await approve(session, 'BCDF-GHJK');
    expect(first).toMatchObject({ ok: false, error: { code: 'user-code-unknown', attemptsLeft: 2 } });
    await approve(session, 'BCDF-GHJK');
    expect(await approve(session, 'BCDF-GHJK')).toMatchObject({ ok: false, error: { code: 'user-code-unknown', attemptsLeft: 0 } });
    expect(await approve(session, 'BCDF-GHJK')).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
  });

  it('refuses malformed codes, a missing session and a second phone on one sign-in', async () => {
    const session = await h.signIn(await h.card());
    expect(await approve(session, 'AEIO-UAEI')).toMatchObject({ ok: false, error: { code: 'user-code-invalid' } });
    expect(await approve(null, 'BCDF-GHJK')).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
    expect((await approve(session, (await h.startPhone()).userCode)).ok).toBe(true);
    expect(await approve(session, (await h.startPhone()).userCode)).toMatchObject({ ok: false, error: { code: 'session-approval-limit' } });
  });

  it('a kiosk session past its lifetime is no session', async () => {
    const session = await h.signIn(await h.card());
    const phone = await h.startPhone();
    h.advance(h.ctx.config.pkiAuth.kioskSessionLifetimeSeconds * 1000);
    expect(await approve(session, phone.userCode)).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
  });

  it('past the per-minute guess limit the answer is rate-limited with a retry time, and nothing is recorded', async () => {
    guesses = new FixedWindowRateLimiter(1, 60_000);
    const session = await h.signIn(await h.card());
    await approve(session, 'BCDF-GHJK');
    const before = (await h.auditCodes()).length;
    const limited = await approve(session, 'BCDF-GHJK');
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate-limited' } });
    expect(!limited.ok && limited.error.retryAfterSeconds).toBeGreaterThan(0);
    expect((await h.auditCodes()).length).toBe(before);
  });
});
