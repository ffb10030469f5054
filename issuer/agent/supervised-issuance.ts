// Supervised issuance (tenant setting `supervision: agent-affirms`; DISA Purebred's live agent): a redeem whose OTP
// and CSR are good still issues nothing until a help-desk agent (helpdesk or approver) affirms the short fingerprint
// of the phone's key (contracts/key-fingerprint.ts), which the phone shows, and the kiosk (the enrollment status's
// `agentCheck`, enrollment/enrollment-status.ts).
// Until then the redeem answers `affirmation-pending` with the fingerprint and a Retry-After; the phone asks again
// with the same OTP and CSR. An affirmation counts only for that key: a new key clears it. A wrong fingerprint is
// refused (nothing recorded); two agents affirming at once: one wins (a conditional update), the other gets 409.
// An agent never affirms an enrollment of their own card.
import { createHash } from 'node:crypto';
import {
  AFFIRMATION_POLL_SECONDS,
  formatKeyFingerprint,
  normalizeKeyFingerprint,
} from '../../contracts/key-fingerprint.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { checkNote } from '../lifecycle/credential-state.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { Refusal, RouteRuleResult } from '../refusal.ts';
import type { EnrollmentRecord } from '../storage/issuer-storage.ts';
import { authenticateAgent, isSamePerson } from './agent-session.ts';

/**
 * Asks per minute a phone may make while it waits for the agent, per issuer process: twice what the issuer's
 * Retry-After asks for, so a phone that follows it is never refused, however long the agent takes. These asks proved
 * the OTP, so they are not code guesses (redeem.ts gives the guess back); this bounds only the work of a phone that
 * ignores the Retry-After, which gets the rate-limit answer (429 + Retry-After). Not split among `--workers` or
 * nodes (cluster/rate-limit-share.ts splits the guess limits): a phone's connection may stay on one of them.
 */
export const AFFIRMATION_POLLS_PER_MINUTE = 2 * (60 / AFFIRMATION_POLL_SECONDS);

export function keyFingerprint(subjectPublicKeySpkiDer: Uint8Array): string {
  return formatKeyFingerprint(createHash('sha256').update(subjectPublicKeySpkiDer).digest());
}

/**
 * The redeem's supervision step, after the OTP, the CSR and the card were checked and before anything is signed:
 * null when the tenant does not supervise or an agent affirmed this very key, else the pending answer.
 */
export async function awaitingAffirmation(
  ctx: IssuerContext,
  enrollment: EnrollmentRecord,
  subjectPublicKeySpkiDer: Uint8Array,
  details: Record<string, string | null>,
): Promise<Refusal<'affirmation-pending'> | null> {
  if ((await ctx.tenant()).supervision !== 'agent-affirms') return null;
  const fingerprint = keyFingerprint(subjectPublicKeySpkiDer);
  const supervision = await ctx.storage.findEnrollmentSupervision(enrollment.id);
  if (supervision?.keyFingerprint === fingerprint && supervision.affirmedFingerprint === fingerprint) return null;
  // Audited once per key (the phone's polls with the same key write nothing); the queue shows the fingerprint.
  const recorded = await ctx.storage.requestAffirmation(
    enrollment.id,
    fingerprint,
    auditEntry(ctx, 'affirmation-request', 'success', null, { ...details, keyFingerprint: fingerprint }),
  );
  if (recorded) ctx.events.notify(enrollment.id);
  return {
    code: 'affirmation-pending',
    detail: `(Key fingerprint ${fingerprint}.)`,
    retryAfterSeconds: AFFIRMATION_POLL_SECONDS,
  };
}

export async function affirmEnrollment(
  ctx: IssuerContext,
  input: { token: string | null; enrollmentId: string; fingerprint: string; note: string },
): Promise<RouteRuleResult<'agentAffirmEnrollment'>> {
  const caller = await authenticateAgent(ctx, input.token, 'act');
  if (!caller.ok) return caller;
  const agentCardId = caller.value.card.id;
  const details = { enrollmentId: input.enrollmentId, agentCardId, sessionId: caller.value.session.id };
  const enrollment = await ctx.storage.findEnrollment(input.enrollmentId);
  const card = enrollment === null ? null : await ctx.storage.findCard(enrollment.cardId);
  if (enrollment === null || card === null) return auditedRefusal(ctx, 'agent-affirm', 'enrollment-unknown', details);
  if (isSamePerson(caller.value.card, card)) return auditedRefusal(ctx, 'agent-affirm', 'agent-own-card', details);
  if (enrollment.status === 'burned') return auditedRefusal(ctx, 'agent-affirm', 'enrollment-burned', details);
  if (enrollment.status === 'card-revoked') return auditedRefusal(ctx, 'agent-affirm', 'card-revoked', details);
  if (enrollment.status !== 'awaiting-phone')
    return auditedRefusal(ctx, 'agent-affirm', 'enrollment-completed', details);
  let note: string | null;
  try {
    note = checkNote(input.note);
  } catch {
    return refuse('note-invalid');
  }
  const given = normalizeKeyFingerprint(input.fingerprint);
  const supervision = await ctx.storage.findEnrollmentSupervision(enrollment.id);
  const expected = supervision?.keyFingerprint ?? null;
  if (expected === null) return auditedRefusal(ctx, 'agent-affirm', 'affirmation-not-requested', details);
  if (supervision?.affirmedFingerprint === expected)
    return auditedRefusal(ctx, 'agent-affirm', 'affirmation-done', details);
  if (given !== expected)
    return auditedRefusal(ctx, 'agent-affirm', 'affirmation-mismatch', { ...details, given: given ?? 'unreadable' });
  const at = ctx.now().getTime();
  const affirmed = await ctx.storage.affirmEnrollment(
    enrollment.id,
    { fingerprint: expected, byCardId: agentCardId, at },
    auditEntry(ctx, 'agent-affirm', 'success', null, { ...details, cardId: card.id, keyFingerprint: expected, note }),
  );
  if (!affirmed) return auditedRefusal(ctx, 'agent-affirm', 'affirmation-done', details);
  ctx.events.notify(enrollment.id);
  return ok(null);
}
