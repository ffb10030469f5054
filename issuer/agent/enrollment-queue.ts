// The live queue an agent watches: enrollments in progress at every kiosk (person, kiosk, step, age, device). Those
// awaiting their phone stay while they are younger than QUEUE_WINDOW_MS; done and failed ones drop off after
// DONE_VISIBLE_MS. The console polls GET /agent/queue or follows GET /agent/queue/events (routes/agent.ts), which
// is woken by the same EnrollmentEvents as the kiosk's own event stream.
import type { EnrollmentQueue, QueueEntry, WaitingEnrollment } from '../../contracts/agent-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { QueueRow } from '../storage/issuer-storage.ts';
import { authenticateAgent } from './agent-session.ts';

/** An enrollment waiting for its phone longer than this is no longer "in progress" (a day: re-issue still works). */
const QUEUE_WINDOW_MS = 24 * 3_600_000;
/** How long a completed, burned or card-revoked enrollment stays on the queue after it ended (or, failed, began). */
const DONE_VISIBLE_MS = 10 * 60_000;
const MAX_ENTRIES = 500;

function step(row: QueueRow): string {
  const { enrollment } = row;
  if (enrollment.status !== 'awaiting-phone') return enrollment.status;
  const { keyFingerprint, affirmedFingerprint } = row.supervision;
  if (keyFingerprint !== null && affirmedFingerprint !== keyFingerprint) return 'awaiting-affirmation';
  return enrollment.phoneFetchedAt === null ? 'awaiting-phone' : 'phone-seen';
}

function queueEntry(row: QueueRow, now: number): QueueEntry {
  return {
    enrollmentId: row.enrollment.id,
    personName: row.personName,
    kioskId: row.kioskId,
    step: step(row),
    ageSeconds: Math.max(0, Math.floor((now - row.enrollment.createdAt) / 1000)),
    device: row.device,
    otpExpired: row.enrollment.status === 'awaiting-phone' && row.enrollment.otpExpiresAt <= now,
    keyFingerprint: row.supervision.keyFingerprint,
    affirmed:
      row.supervision.keyFingerprint !== null && row.supervision.affirmedFingerprint === row.supervision.keyFingerprint,
  };
}

/** The queue now (no caller check: the route and the event stream check the caller on each call and each push). */
export async function enrollmentQueue(ctx: Pick<IssuerContext, 'storage' | 'now'>): Promise<EnrollmentQueue> {
  const now = ctx.now().getTime();
  const rows = await ctx.storage.listEnrollmentQueue(now - QUEUE_WINDOW_MS, now - DONE_VISIBLE_MS, MAX_ENTRIES);
  return { enrollments: rows.map((row) => queueEntry(row, now)) };
}

/** Each card's enrollments waiting for their phone (the person screen's re-issue), newest first, by card id. */
export async function waitingEnrollmentsByCard(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
): Promise<ReadonlyMap<string, WaitingEnrollment[]>> {
  const now = ctx.now().getTime();
  // doneSince in the future: only the enrollments still awaiting their phone.
  const rows = await ctx.storage.listEnrollmentQueue(now - QUEUE_WINDOW_MS, now + 1, MAX_ENTRIES);
  const byCard = new Map<string, WaitingEnrollment[]>();
  for (const row of rows) {
    if (row.enrollment.status !== 'awaiting-phone') continue;
    const list = byCard.get(row.enrollment.cardId) ?? [];
    list.push({
      enrollmentId: row.enrollment.id,
      kioskId: row.kioskId,
      startedAt: new Date(row.enrollment.createdAt).toISOString(),
      otpExpired: row.enrollment.otpExpiresAt <= now,
    });
    byCard.set(row.enrollment.cardId, list);
  }
  return byCard;
}

export async function watchQueue(ctx: IssuerContext, token: string | null): Promise<RouteRuleResult<'agentQueue'>> {
  const caller = await authenticateAgent(ctx, token, 'read');
  if (!caller.ok) return caller;
  return ok(await enrollmentQueue(ctx));
}
