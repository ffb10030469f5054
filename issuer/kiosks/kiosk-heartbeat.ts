// A kiosk's heartbeat (contracts/kiosk-heartbeat.ts): the kiosk proves who it is with an Ed25519 signature by the
// key an administrator registered for its name; the report is stored as its last-seen state. Refusals (unknown or
// revoked kiosk, forged signature, stale or replayed request) change nothing and are audited with the kiosk's
// claimed name and the caller's address. An accepted heartbeat is not audited (it is polling, not a step).
import { createPublicKey, verify } from 'node:crypto';
import type { KioskHeartbeat } from '../../contracts/issuer-api.ts';
import { KIOSK_HEARTBEAT_WINDOW_MS, kioskHeartbeatMessage } from '../../contracts/kiosk-heartbeat.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';

const EVENT = 'kiosk-heartbeat';

export async function recordKioskHeartbeat(
  ctx: IssuerContext,
  heartbeat: KioskHeartbeat,
  ip: string,
): Promise<RouteRuleResult<'kioskHeartbeat'>> {
  const now = ctx.now().getTime();
  const details = { kiosk: heartbeat.kiosk, sentAt: heartbeat.sentAt, ip };
  const kiosk = await ctx.storage.findKiosk(heartbeat.kiosk);
  if (kiosk === null) return auditedRefusal(ctx, EVENT, 'kiosk-unknown', details);
  if (kiosk.revokedAt !== null) return auditedRefusal(ctx, EVENT, 'kiosk-revoked', details);
  if (!signatureVerifies(kiosk.publicKeyDer, heartbeat))
    return auditedRefusal(ctx, EVENT, 'kiosk-signature-invalid', details);
  // After the signature: only the kiosk itself learns that its clock is off.
  if (Math.abs(heartbeat.sentAt - now) > KIOSK_HEARTBEAT_WINDOW_MS)
    return auditedRefusal(ctx, EVENT, 'kiosk-request-stale', details, {
      detail: `sent ${Math.round((heartbeat.sentAt - now) / 1000)} s from the issuer's clock`,
    });
  const recorded = await ctx.storage.recordKioskHeartbeat(
    kiosk.name,
    heartbeat.sentAt,
    now,
    JSON.stringify(heartbeat.report),
  );
  // Revoked between the read and the write also lands here; the next heartbeat says which.
  if (!recorded) return auditedRefusal(ctx, EVENT, 'kiosk-request-replayed', details);
  return ok(null);
}

function signatureVerifies(publicKeyDer: Uint8Array, heartbeat: KioskHeartbeat): boolean {
  const signature = Buffer.from(heartbeat.signature, 'base64url');
  if (signature.length !== 64) return false;
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  return verify(null, kioskHeartbeatMessage(heartbeat), key, signature);
}
