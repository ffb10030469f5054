// A kiosk's heartbeat (contracts/kiosk-heartbeat.ts): the kiosk proves who it is with an Ed25519 signature by the
// key an administrator registered for its name (kiosk-signature.ts, shared with its signed calls); the report is
// stored as its last-seen state. Refusals (unknown or revoked kiosk, forged signature, stale or replayed request)
// change nothing and are audited with the kiosk's claimed name and the caller's address. An accepted heartbeat is
// not audited (it is polling, not a step).
import type { KioskHeartbeat } from '../../contracts/issuer-api.ts';
import { kioskHeartbeatMessage } from '../../contracts/kiosk-heartbeat.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { verifyKioskSignature } from './kiosk-signature.ts';

const EVENT = 'kiosk-heartbeat';

export async function recordKioskHeartbeat(
  ctx: IssuerContext,
  heartbeat: KioskHeartbeat,
  ip: string,
): Promise<RouteRuleResult<'kioskHeartbeat'>> {
  const details = { kiosk: heartbeat.kiosk, sentAt: heartbeat.sentAt, ip };
  const claim = {
    kiosk: heartbeat.kiosk,
    sentAt: heartbeat.sentAt,
    message: kioskHeartbeatMessage(heartbeat),
    signature: heartbeat.signature,
  };
  const verified = await verifyKioskSignature(ctx, EVENT, claim, details);
  if (!verified.ok) return verified;
  const recorded = await ctx.storage.recordKioskHeartbeat(
    verified.value.name,
    heartbeat.sentAt,
    ctx.now().getTime(),
    JSON.stringify(heartbeat.report),
  );
  // Revoked between the read and the write also lands here; the next heartbeat says which.
  if (!recorded) return auditedRefusal(ctx, EVENT, 'kiosk-request-replayed', details);
  return ok(null);
}
