// An agent re-issues the QR payload + one-time password of a person's enrollment whose password ran out (MyID's
// "re-send the one-time code", with a reason). The old password dies at once (the enrollment's OTP hash is
// replaced, as the kiosk's refresh does); the wrong tries already made still count. The QR payload names the
// enrollment, not a secret, so it stays the same text. Never for the agent's own card.
import type { IssuerContext } from '../issuer-context.ts';
import { auditEntry } from '../issuer-context.ts';
import { enrollmentCode, freshOtp } from '../enrollment/enrollment-code.ts';
import { checkNote } from '../lifecycle/credential-state.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { authenticateAgent, isSamePerson } from './agent-session.ts';

export async function reissueCode(
  ctx: IssuerContext,
  input: { token: string | null; enrollmentId: string; note: string },
): Promise<RouteRuleResult<'agentReissueCode'>> {
  const caller = await authenticateAgent(ctx, input.token, 'act');
  if (!caller.ok) return caller;
  const details = {
    enrollmentId: input.enrollmentId,
    agentCardId: caller.value.card.id,
    sessionId: caller.value.session.id,
  };
  const enrollment = await ctx.storage.findEnrollment(input.enrollmentId);
  const card = enrollment === null ? null : await ctx.storage.findCard(enrollment.cardId);
  if (enrollment === null || card === null) return auditedRefusal(ctx, 'agent-reissue', 'enrollment-unknown', details);
  if (isSamePerson(caller.value.card, card)) return auditedRefusal(ctx, 'agent-reissue', 'agent-own-card', details);
  if (enrollment.status === 'burned') return auditedRefusal(ctx, 'agent-reissue', 'enrollment-burned', details);
  if (enrollment.status === 'card-revoked') return auditedRefusal(ctx, 'agent-reissue', 'card-revoked', details);
  if (enrollment.status !== 'awaiting-phone')
    return auditedRefusal(ctx, 'agent-reissue', 'enrollment-completed', details);
  let note: string | null;
  try {
    note = checkNote(input.note);
  } catch {
    return refuse('note-invalid');
  }
  const { otp, otpHash, expiresAt } = freshOtp(ctx, enrollment.id);
  const replaced = await ctx.storage.replaceEnrollmentOtp(
    enrollment.id,
    otpHash,
    expiresAt,
    auditEntry(ctx, 'agent-reissue', 'success', null, { ...details, cardId: card.id, note }),
  );
  if (!replaced) return auditedRefusal(ctx, 'agent-reissue', 'enrollment-completed', details);
  ctx.events.notify(enrollment.id);
  return ok(enrollmentCode(ctx, enrollment.id, otp));
}
