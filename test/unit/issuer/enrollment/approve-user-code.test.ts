// Approving a phone's user_code, as a plain function: a fixed clock, real SQLite, the real PKI-AUTH verifier.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveUserCode } from '../../../../issuer/enrollment/approve-user-code.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import { showDevicePairing } from '../../../../issuer/pairing/device-pairing.ts';
import { hashToken } from '../../../../issuer/secrets.ts';
import { normalizeUserCode } from '../../../../contracts/user-code.ts';
import { UNSIGNED_CALL, showThenApprove, startRuleHarness } from '../rule-context.ts';
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
  showThenApprove(h.ctx, guesses, { sessionToken, userCode, ip: '127.0.0.1' });

/** Approve alone, with the number the kiosk claims the person confirmed (no showing first unless the test does). */
const approveWith = (sessionToken: string, userCode: string, matchNumber: string) =>
  approveUserCode(h.ctx, guesses, {
    sessionToken,
    request: { userCode, matchNumber },
    ip: '127.0.0.1',
    kioskProof: UNSIGNED_CALL,
  });

describe('approveUserCode', () => {
  it('number matching: a phone this sign-in was not shown, or the wrong number, approves nothing', async () => {
    const session = await h.signIn(await h.card());
    const phone = await h.startPhone();
    expect(await approveWith(session, phone.userCode, '00')).toMatchObject({
      ok: false,
      error: { code: 'pairing-not-shown' },
    });
    const shown = await showDevicePairing(h.ctx, guesses, {
      sessionToken: session,
      userCode: phone.userCode,
      ip: '127.0.0.1',
    });
    if (!shown.ok) throw new Error(shown.error.code);
    const wrong = shown.value.matchNumber === '00' ? '01' : '00';
    expect(await approveWith(session, phone.userCode, wrong)).toMatchObject({
      ok: false,
      error: { code: 'pairing-number-mismatch' },
    });
    // Another sign-in showing the same phone takes it over: the first can no longer approve with its number.
    const other = await h.signIn(await h.card());
    expect(
      (await showDevicePairing(h.ctx, guesses, { sessionToken: other, userCode: phone.userCode, ip: '127.0.0.1' })).ok,
    ).toBe(true);
    expect(await approveWith(session, phone.userCode, shown.value.matchNumber)).toMatchObject({
      ok: false,
      error: { code: 'pairing-not-shown' },
    });
    expect(await h.auditCodes()).toEqual(
      expect.arrayContaining([
        ['approve', 'pairing-not-shown'],
        ['approve', 'pairing-number-mismatch'],
        ['pairing-shown', null],
      ]),
    );
  });

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

  it("a code past its lifetime on the issuer's clock is refused as expired, and the guess is given back", async () => {
    const session = await h.signIn(await h.card());
    const phone = await h.startPhone();
    h.advance(h.ctx.config.deviceFlow.codeLifetimeSeconds * 1000);
    expect(await approve(session, phone.userCode)).toMatchObject({ ok: false, error: { code: 'user-code-expired' } });
    // Given back: three unknown codes still fit in the session's three failures.
    const refusals = [];
    for (let i = 0; i < 3; i += 1) refusals.push(await approve(session, 'BCDF-GHJK'));
    expect(refusals.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
      'user-code-unknown',
      'user-code-unknown',
      'user-code-unknown',
    ]);
  });

  it('showing a phone gives back the guess that found its code, whether it is shown or refused', async () => {
    const session = await h.signIn(await h.card());
    const phone = await h.startPhone();
    const show = () =>
      showDevicePairing(h.ctx, guesses, { sessionToken: session, userCode: phone.userCode, ip: '::1' });
    // Five showings, where the sign-in may guess wrong three times: each gave its guess back.
    for (let i = 0; i < 5; i += 1) expect((await show()).ok).toBe(true);
    expect((await approve(session, phone.userCode)).ok).toBe(true);
    for (let i = 0; i < 5; i += 1)
      expect(await show()).toMatchObject({ ok: false, error: { code: 'user-code-already-used' } });
    const unknown = await approve(session, 'BCDF-GHJK');
    expect(unknown).toMatchObject({ ok: false, error: { code: 'user-code-unknown', attemptsLeft: 2 } });
  });

  it('a showing that a racing approval left nothing to record still gives its guess back', async () => {
    const token = await h.signIn(await h.card());
    const phone = await h.startPhone();
    expect((await approve(token, phone.userCode)).ok).toBe(true);
    const session = await h.ctx.storage.findKioskSessionByTokenHash(hashToken(token));
    const device = await h.ctx.storage.findDeviceAuthorizationByUserCodeHash(
      h.ctx.codes.hash('user-code', '', normalizeUserCode(phone.userCode) ?? ''),
    );
    if (session === null || device === null) throw new Error('the approval left no session or device');
    const at = h.ctx.now().getTime();
    const limits = { perSession: 3, perCard: 10, windowMs: 60_000 };
    expect(await h.ctx.storage.takeUserCodeGuess(session.id, session.cardId, at, limits)).toBe('taken');
    expect((await h.ctx.storage.findKioskSessionByTokenHash(hashToken(token)))?.userCodeFailures).toBe(1);
    const shownAt = { sessionId: session.id, shownAt: at };
    const audit = { at, event: 'pairing-shown', outcome: 'success' as const, code: null, details: {} };
    expect(await h.ctx.storage.showDevicePairing(device.id, shownAt, session.cardId, audit)).toBe(false);
    expect((await h.ctx.storage.findKioskSessionByTokenHash(hashToken(token)))?.userCodeFailures).toBe(0);
  });

  it('unknown codes count down the tries left, then the session ends', async () => {
    const session = await h.signIn(await h.card());
    const first = await approve(session, 'BCDF-GHJK');
    expect(first).toMatchObject({ ok: false, error: { code: 'user-code-unknown', attemptsLeft: 2 } });
    await approve(session, 'BCDF-GHJK');
    expect(await approve(session, 'BCDF-GHJK')).toMatchObject({
      ok: false,
      error: { code: 'user-code-unknown', attemptsLeft: 0 },
    });
    expect(await approve(session, 'BCDF-GHJK')).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
  });

  it('refuses malformed codes, a missing session and a second phone on one sign-in', async () => {
    const session = await h.signIn(await h.card());
    expect(await approve(session, 'AEIO-UAEI')).toMatchObject({ ok: false, error: { code: 'user-code-invalid' } });
    expect(await approve(null, 'BCDF-GHJK')).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
    expect((await approve(session, (await h.startPhone()).userCode)).ok).toBe(true);
    expect(await approve(session, (await h.startPhone()).userCode)).toMatchObject({
      ok: false,
      error: { code: 'session-approval-limit' },
    });
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
