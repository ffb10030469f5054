// Supervised issuance (tenant setting supervision = agent-affirms): the phone's redeem waits, with the key's
// fingerprint, until a help-desk agent affirms that fingerprint; a wrong or missing affirmation issues nothing, an
// agent never affirms their own enrollment, two agents at once: one wins. Real SQLite, real CA, real PKI-AUTH.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatKeyFingerprint } from '../../../../contracts/key-fingerprint.ts';
import { enrollmentQueue } from '../../../../issuer/agent/enrollment-queue.ts';
import { AFFIRMATION_POLLS_PER_MINUTE, affirmEnrollment } from '../../../../issuer/agent/supervised-issuance.ts';
import { checkCsr } from '../../../../issuer/ca/csr.ts';
import { exchangeDeviceCode } from '../../../../issuer/device-flow/exchange-device-code.ts';
import { watchEnrollment } from '../../../../issuer/enrollment/enrollment-status.ts';
import { redeemEnrollment } from '../../../../issuer/enrollment/redeem.ts';
import type { RedeemLimits } from '../../../../issuer/enrollment/redeem.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { makeCsr } from '../../../integration/issuer/issuer-fixture.ts';
import { showThenApprove } from '../rule-context.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

let h: AgentHarness;
let agent: IssuedCardCertificate;
let token: string;
const guesses = new FixedWindowRateLimiter(1000, 60_000);
const roomyLimits: RedeemLimits = { guesses, affirmationPolls: new FixedWindowRateLimiter(1000, 60_000) };

beforeEach(async () => {
  h = await startAgentHarness();
  await changeTenantSettings(
    h.ctx.storage,
    h.ctx.config,
    { supervision: 'agent-affirms' },
    { kind: 'admin', id: 'test' },
    h.ctx.now(),
  );
  agent = await h.personCard('Hal Helpdesk');
  await h.grant(agent, 'helpdesk');
  token = await h.signInAgent(agent);
});
afterEach(async () => {
  await h.close();
});

/** A person's kiosk enrollment and the phone's token: what the phone redeems. */
async function waitingPhone(card: IssuedCardCertificate) {
  const session = await h.signIn(card);
  const phone = await h.startPhone();
  const code = await showThenApprove(h.ctx, guesses, { sessionToken: session, userCode: phone.userCode, ip: '::1' });
  if (!code.ok) throw new Error(code.error.code);
  const access = await exchangeDeviceCode(h.ctx, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: phone.deviceCode,
    client_id: 'dck-phone',
    ip: '::1',
  });
  if (!access.ok) throw new Error(access.error.code);
  const csr = await makeCsr();
  const checked = checkCsr(csr);
  if (!checked.ok) throw new Error(checked.code);
  const fingerprint = formatKeyFingerprint(createHash('sha256').update(checked.subjectPublicKeySpkiDer).digest());
  const redeem = (withCsr = csr, limits = roomyLimits, otp = code.value.otp) =>
    redeemEnrollment(h.ctx, limits, {
      accessToken: access.value.access_token,
      enrollmentId: code.value.enrollmentId,
      request: { otp, csr: withCsr },
      ip: '::1',
    });
  return { session, enrollmentId: code.value.enrollmentId, fingerprint, csr, otp: code.value.otp, redeem };
}

const affirm = (agentToken: string, enrollmentId: string, fingerprint: string) =>
  affirmEnrollment(h.ctx, { token: agentToken, enrollmentId, fingerprint, note: 'checked the phone at the desk' });

describe('supervised issuance', () => {
  it('a phone waiting minutes for the agent at the Retry-After pace is never refused: its asks are not code guesses', async () => {
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    // 3 code guesses a minute (the default's 30 split among 10 workers); the clock of both counters is this test's.
    let now = 0;
    const limits: RedeemLimits = {
      guesses: new FixedWindowRateLimiter(3, 60_000, () => now),
      affirmationPolls: new FixedWindowRateLimiter(AFFIRMATION_POLLS_PER_MINUTE, 60_000, () => now),
    };
    // Five minutes of asks every 3 s (the Retry-After): 100 asks, each still "affirmation pending".
    for (let ask = 0; ask < 100; ask += 1, now += 3_000)
      expect(await phone.redeem(phone.csr, limits), `ask ${ask}`).toMatchObject({
        ok: false,
        error: { code: 'affirmation-pending', retryAfterSeconds: 3 },
      });
    // A wrong OTP is still a guess: counted, answered as one.
    expect(await phone.redeem(phone.csr, limits, '00000000')).toMatchObject({
      ok: false,
      error: { code: 'otp-wrong' },
    });
    expect(await affirm(token, phone.enrollmentId, phone.fingerprint)).toMatchObject({ ok: true });
    const issued = await phone.redeem(phone.csr, limits);
    expect(issued.ok && issued.value.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('a phone asking faster than the Retry-After gets the rate-limit answer with a Retry-After, then waits on', async () => {
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    let now = 0;
    const limits: RedeemLimits = {
      guesses: new FixedWindowRateLimiter(30, 60_000, () => now),
      affirmationPolls: new FixedWindowRateLimiter(AFFIRMATION_POLLS_PER_MINUTE, 60_000, () => now),
    };
    // Every 500 ms: the first AFFIRMATION_POLLS_PER_MINUTE asks of the minute wait, the rest are limited.
    const codes: string[] = [];
    for (let ask = 0; ask < 60; ask += 1, now += 500) {
      const answer = await phone.redeem(phone.csr, limits);
      codes.push(answer.ok ? 'issued' : answer.error.code);
      if (!answer.ok && answer.error.code === 'rate-limited') expect(answer.error.retryAfterSeconds).toBeGreaterThan(0);
    }
    expect(codes.filter((code) => code === 'affirmation-pending')).toHaveLength(AFFIRMATION_POLLS_PER_MINUTE);
    expect(codes.filter((code) => code === 'rate-limited')).toHaveLength(60 - AFFIRMATION_POLLS_PER_MINUTE);
    // Its OTP guesses are untouched, and once it slows down (the next minute) it waits on.
    now = 60_000;
    expect(await phone.redeem(phone.csr, limits)).toMatchObject({ ok: false, error: { code: 'affirmation-pending' } });
  });

  it('the redeem waits with the fingerprint until an agent affirms it, then issues', async () => {
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    expect(await affirm(token, phone.enrollmentId, phone.fingerprint)).toMatchObject({
      ok: false,
      error: { code: 'affirmation-not-requested' },
    });
    const pending = await phone.redeem();
    expect(pending).toMatchObject({
      ok: false,
      error: { code: 'affirmation-pending', retryAfterSeconds: 3 },
    });
    expect(!pending.ok && pending.error.detail).toContain(phone.fingerprint);
    expect((await phone.redeem()).ok).toBe(false);
    const [queued] = (await enrollmentQueue(h.ctx)).enrollments;
    expect(queued).toMatchObject({ step: 'awaiting-affirmation', keyFingerprint: phone.fingerprint, affirmed: false });
    // Typed by the agent in lower case without dashes: the same fingerprint.
    expect(await affirm(token, phone.enrollmentId, phone.fingerprint.replace(/-/g, '').toLowerCase())).toEqual({
      ok: true,
      value: null,
    });
    const issued = await phone.redeem();
    expect(issued.ok && issued.value.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const events = (await h.auditCodes()).map(([event]) => event);
    expect(events.filter((event) => event === 'affirmation-request')).toHaveLength(1);
    expect(events).toContain('agent-affirm');
  });

  it("the kiosk's status shows the fingerprint the redeem waits with, then that it was affirmed; its long poll wakes on each", async () => {
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    const kioskStatus = (waitSeconds: number) =>
      watchEnrollment(h.ctx, {
        sessionToken: phone.session,
        enrollmentId: phone.enrollmentId,
        query: { waitSeconds },
        callerGone: () => false,
      });
    const before = await kioskStatus(0);
    expect(before.ok && before.value.agentCheck).toBeUndefined();
    const untilRedeem = kioskStatus(20);
    await phone.redeem();
    expect(await untilRedeem).toMatchObject({
      ok: true,
      value: { state: 'awaiting-phone', agentCheck: { keyFingerprint: phone.fingerprint, affirmed: false } },
    });
    const untilAffirmed = kioskStatus(20);
    expect(await affirm(token, phone.enrollmentId, phone.fingerprint)).toMatchObject({ ok: true });
    expect(await untilAffirmed).toMatchObject({
      ok: true,
      value: { state: 'awaiting-phone', agentCheck: { keyFingerprint: phone.fingerprint, affirmed: true } },
    });
    // A new key: the kiosk shows its fingerprint, not yet affirmed.
    await phone.redeem(await makeCsr());
    const renewed = await kioskStatus(0);
    expect(renewed.ok && renewed.value.agentCheck?.affirmed).toBe(false);
    expect(renewed.ok && renewed.value.agentCheck?.keyFingerprint).not.toBe(phone.fingerprint);
  });

  it('a wrong fingerprint affirms nothing and issues nothing; a new key needs a new affirmation', async () => {
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    await phone.redeem();
    const wrong = phone.fingerprint.startsWith('0')
      ? `1${phone.fingerprint.slice(1)}`
      : `0${phone.fingerprint.slice(1)}`;
    expect(await affirm(token, phone.enrollmentId, wrong)).toMatchObject({
      ok: false,
      error: { code: 'affirmation-mismatch' },
    });
    expect(await phone.redeem()).toMatchObject({ ok: false, error: { code: 'affirmation-pending' } });
    expect(await affirm(token, phone.enrollmentId, phone.fingerprint)).toMatchObject({ ok: true });
    // The phone now sends another key: the affirmation was for the first one.
    const other = await phone.redeem(await makeCsr());
    expect(other).toMatchObject({ ok: false, error: { code: 'affirmation-pending' } });
    expect((await h.ctx.storage.findEnrollment(phone.enrollmentId))?.status).toBe('awaiting-phone');
  });

  it('an agent never affirms their own enrollment; two agents at once: one wins, the other gets 409', async () => {
    const own = await waitingPhone(agent);
    await own.redeem();
    expect(await affirm(token, own.enrollmentId, own.fingerprint)).toMatchObject({
      ok: false,
      error: { code: 'agent-own-card' },
    });
    const second = await h.personCard('Abe Approver');
    await h.grant(second, 'approver');
    const secondToken = await h.signInAgent(second);
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    await phone.redeem();
    const both = await Promise.all([
      affirm(token, phone.enrollmentId, phone.fingerprint),
      affirm(secondToken, phone.enrollmentId, phone.fingerprint),
    ]);
    expect(both.filter((result) => result.ok)).toHaveLength(1);
    expect(both.find((result) => !result.ok)).toMatchObject({ error: { code: 'affirmation-done' } });
  });

  it('without the policy the redeem issues at once, as before', async () => {
    await changeTenantSettings(
      h.ctx.storage,
      h.ctx.config,
      { supervision: 'none' },
      { kind: 'admin', id: 't' },
      h.ctx.now(),
    );
    const phone = await waitingPhone(await h.personCard('Pat Person'));
    expect((await phone.redeem()).ok).toBe(true);
  });
});
