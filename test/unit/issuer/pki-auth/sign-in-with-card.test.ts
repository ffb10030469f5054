// PKI-AUTH step 2 as a plain function: the challenge's life on a fixed clock, single use, the real verifier.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueChallenge } from '../../../../issuer/pki-auth/issue-challenge.ts';
import { signInWithCard } from '../../../../issuer/pki-auth/sign-in-with-card.ts';
import { UNSIGNED_CALL, startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';

let h: RuleHarness;
beforeEach(async () => {
  h = await startRuleHarness();
});
afterEach(async () => {
  await h.close();
});

/** An answer whose signature cannot verify: enough to reach every challenge check. */
async function unsignedAnswer(challengeId: string) {
  const card = await h.card();
  return {
    challengeId,
    certificate: Buffer.from(card.der).toString('base64url'),
    kioskNonce: 'A'.repeat(43),
    signature: 'MEUCIQ' + 'A'.repeat(90),
  };
}

describe('signInWithCard', () => {
  it('a good answer opens a session, audited', async () => {
    const card = await h.card();
    expect(await h.signIn(card)).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await h.auditCodes()).toContainEqual(['pki-auth', null]);
  });

  it("a bad signature is refused with the verifier's reason, and uses the challenge up", async () => {
    const challenge = await issueChallenge(h.ctx, { request: {}, kioskProof: UNSIGNED_CALL, ip: '127.0.0.1' });
    if (!challenge.ok) throw new Error('no challenge');
    const answer = await unsignedAnswer(challenge.value.challengeId);
    const refused = await signInWithCard(h.ctx, { answer, ip: '127.0.0.1', kioskProof: UNSIGNED_CALL });
    expect(refused).toMatchObject({ ok: false, error: { code: 'bad-signature' } });
    expect(await signInWithCard(h.ctx, { answer, ip: '127.0.0.1', kioskProof: UNSIGNED_CALL })).toMatchObject({
      ok: false,
      error: { code: 'challenge-used' },
    });
  });

  it("a challenge past its lifetime on the issuer's clock, or unknown, is refused before any verification", async () => {
    const challenge = await issueChallenge(h.ctx, { request: {}, kioskProof: UNSIGNED_CALL, ip: '127.0.0.1' });
    if (!challenge.ok) throw new Error('no challenge');
    h.advance(h.ctx.config.pkiAuth.challengeLifetimeSeconds * 1000);
    const answer = await unsignedAnswer(challenge.value.challengeId);
    expect(await signInWithCard(h.ctx, { answer, ip: '127.0.0.1', kioskProof: UNSIGNED_CALL })).toMatchObject({
      ok: false,
      error: { code: 'challenge-expired' },
    });
    const unknown = await unsignedAnswer('B'.repeat(22));
    expect(await signInWithCard(h.ctx, { answer: unknown, ip: '127.0.0.1', kioskProof: UNSIGNED_CALL })).toMatchObject({
      ok: false,
      error: { code: 'challenge-unknown' },
    });
    expect((await h.auditCodes()).map(([, code]) => code)).toEqual(['challenge-expired', 'challenge-unknown']);
  });
});
