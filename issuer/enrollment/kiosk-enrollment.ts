// A kiosk's own enrollment: the session token must be live and the enrollment must belong to the session's card.
import type { IssuerContext } from '../issuer-context.ts';
import { activeKioskSession } from '../bearer-holders.ts';
import { ok, refuse } from '../refusal.ts';
import type { RuleResult } from '../refusal.ts';
import type { KioskSessionRecord, SupervisedEnrollment } from '../storage/issuer-storage.ts';

export interface KioskEnrollment extends SupervisedEnrollment {
  session: KioskSessionRecord;
}

export async function findKioskEnrollment(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  sessionToken: string | null,
  enrollmentId: string,
): Promise<RuleResult<KioskEnrollment, 'invalid-session' | 'enrollment-unknown'>> {
  const session = await activeKioskSession(ctx, sessionToken);
  if (session === null) return refuse('invalid-session');
  // With its supervision from the same row read: the kiosk's status shows the agent check without a second read.
  const found = await ctx.storage.findSupervisedEnrollment(enrollmentId);
  if (found === null || found.enrollment.cardId !== session.cardId) return refuse('enrollment-unknown');
  return ok({ session, ...found });
}
