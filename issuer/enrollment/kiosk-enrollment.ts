// A kiosk's own enrollment: the session token must be live and the enrollment must belong to the session's card.
import type { IssuerContext } from '../issuer-context.ts';
import { activeKioskSession } from '../bearer-holders.ts';
import { ok, refuse } from '../refusal.ts';
import type { RuleResult } from '../refusal.ts';
import type { EnrollmentRecord, KioskSessionRecord } from '../storage/issuer-storage.ts';

export interface KioskEnrollment {
  session: KioskSessionRecord;
  enrollment: EnrollmentRecord;
}

export async function findKioskEnrollment(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  sessionToken: string | null,
  enrollmentId: string,
): Promise<RuleResult<KioskEnrollment, 'invalid-session' | 'enrollment-unknown'>> {
  const session = await activeKioskSession(ctx, sessionToken);
  if (session === null) return refuse('invalid-session');
  const enrollment = await ctx.storage.findEnrollment(enrollmentId);
  if (enrollment === null || enrollment.cardId !== session.cardId) return refuse('enrollment-unknown');
  return ok({ session, enrollment });
}
