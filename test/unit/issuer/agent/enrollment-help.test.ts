// The queue of enrollments in progress and an agent's re-issue of a person's one-time password that ran out: real
// kiosk sign-ins (PKI-AUTH), real phones' device authorizations, real SQLite, a fixed clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrollmentQueue, watchQueue } from '../../../../issuer/agent/enrollment-queue.ts';
import { lookUpPeople } from '../../../../issuer/agent/person-lookup.ts';
import { reissueCode } from '../../../../issuer/agent/reissue-code.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { showThenApprove } from '../rule-context.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

let h: AgentHarness;
let agent: IssuedCardCertificate;
let token: string;

beforeEach(async () => {
  h = await startAgentHarness();
  agent = await h.personCard('Hal Helpdesk');
  await h.grant(agent, 'helpdesk');
  token = await h.signInAgent(agent);
});
afterEach(async () => {
  await h.close();
});

/** A person at the kiosk approves their phone: the enrollment waits for the phone. */
async function kioskEnrollment(card: IssuedCardCertificate): Promise<string> {
  const sessionToken = await h.signIn(card);
  const phone = await h.startPhone();
  const approved = await showThenApprove(h.ctx, new FixedWindowRateLimiter(30, 60_000), {
    sessionToken,
    userCode: phone.userCode,
    ip: '127.0.0.1',
  });
  if (!approved.ok) throw new Error(approved.error.code);
  return approved.value.enrollmentId;
}

describe('the live queue', () => {
  it('shows an enrollment in progress with the person, kiosk, step and age; a person card cannot watch it', async () => {
    const enrollmentId = await kioskEnrollment(await h.personCard('Pat Person'));
    h.advance(90_000);
    expect(await watchQueue(h.ctx, token)).toEqual({
      ok: true,
      value: {
        enrollments: [
          {
            enrollmentId,
            personName: 'Pat Person',
            kioskId: 'kiosk-1',
            step: 'awaiting-phone',
            ageSeconds: 90,
            device: { platform: null, model: null },
            otpExpired: false,
            keyFingerprint: null,
            affirmed: false,
          },
        ],
      },
    });
    expect(await watchQueue(h.ctx, 'B'.repeat(43))).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
  });

  it('an enrollment waiting a day drops off the queue', async () => {
    await kioskEnrollment(await h.personCard('Pat Person'));
    h.advance(23 * 3_600_000);
    expect((await enrollmentQueue(h.ctx)).enrollments).toHaveLength(1);
    h.advance(3_600_000);
    expect((await enrollmentQueue(h.ctx)).enrollments).toEqual([]);
  });
});

describe('re-issue of a one-time password that ran out', () => {
  it('a new password works, the old one is dead, and the audit names the agent and the note', async () => {
    const enrollmentId = await kioskEnrollment(await h.personCard('Pat Person'));
    const before = await h.ctx.storage.findEnrollment(enrollmentId);
    h.advance(h.ctx.config.otp.lifetimeSeconds * 1000 + 1);
    expect((await enrollmentQueue(h.ctx)).enrollments[0]?.otpExpired).toBe(true);
    const reissued = await reissueCode(h.ctx, { token, enrollmentId, note: 'person called, code ran out' });
    if (!reissued.ok) throw new Error(reissued.error.code);
    const after = await h.ctx.storage.findEnrollment(enrollmentId);
    expect(after?.otpHash).not.toBe(before?.otpHash);
    expect(h.ctx.codes.matches(after?.otpHash ?? '', 'otp', enrollmentId, reissued.value.otp)).toBe(true);
    expect(after?.otpExpiresAt).toBeGreaterThan(h.ctx.now().getTime());
    const [row] = (await h.ctx.storage.listAudit(0, 1000)).filter((entry) => entry.event === 'agent-reissue');
    expect(row?.details).toMatchObject({ enrollmentId, note: 'person called, code ran out' });
    expect(JSON.stringify(row)).not.toContain(reissued.value.otp);
  });

  it("the person's look-up lists their enrollment waiting for its phone (to re-issue), with its code ran out", async () => {
    const pat = await h.personCard('Pat Person');
    const enrollmentId = await kioskEnrollment(pat);
    const startedAt = h.ctx.now().toISOString();
    h.advance(h.ctx.config.otp.lifetimeSeconds * 1000 + 1);
    const found = await lookUpPeople(h.ctx, { token, query: 'Pat Person' });
    if (!found.ok) throw new Error(found.error.code);
    expect(found.value.people.map((person) => person.waitingEnrollments)).toEqual([
      [{ enrollmentId, kioskId: 'kiosk-1', startedAt, otpExpired: true }],
    ]);
    const reissued = await reissueCode(h.ctx, { token, enrollmentId, note: 'code ran out' });
    expect(reissued.ok).toBe(true);
    const again = await lookUpPeople(h.ctx, { token, query: 'Pat Person' });
    expect(again.ok && again.value.people[0]?.waitingEnrollments[0]?.otpExpired).toBe(false);
    // Someone else's card (signed in at a kiosk, no enrollment) lists none of Pat's.
    await h.signIn(await h.personCard('Sam Other'));
    const other = await lookUpPeople(h.ctx, { token, query: 'Sam Other' });
    expect(other.ok && other.value.people[0]?.waitingEnrollments).toEqual([]);
  });

  it("never for the agent's own enrollment, nor by an auditor", async () => {
    const own = await kioskEnrollment(agent);
    expect(await reissueCode(h.ctx, { token, enrollmentId: own, note: 'mine' })).toMatchObject({
      ok: false,
      error: { code: 'agent-own-card' },
    });
    const auditor = await h.personCard('Aud Itor');
    await h.grant(auditor, 'auditor');
    const auditorToken = await h.signInAgent(auditor);
    const other = await kioskEnrollment(await h.personCard('Pat Person'));
    expect(await reissueCode(h.ctx, { token: auditorToken, enrollmentId: other, note: 'n' })).toMatchObject({
      ok: false,
      error: { code: 'agent-forbidden' },
    });
    expect(await reissueCode(h.ctx, { token, enrollmentId: 'C'.repeat(22), note: 'n' })).toMatchObject({
      ok: false,
      error: { code: 'enrollment-unknown' },
    });
  });
});
