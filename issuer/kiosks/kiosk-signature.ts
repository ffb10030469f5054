// The one check of a kiosk's signature, for its heartbeat (kiosk-heartbeat.ts) and its signed calls
// (kiosk-request.ts): the kiosk is registered and not revoked, its Ed25519 signature over the message verifies with
// the key an administrator registered, and it was sent within the window of the issuer's clock
// (contracts/kiosk-signature.ts). Each refusal is audited under the caller's event with the claimed name; how a
// replay is told apart is the caller's (a heartbeat must be later than the last, a call's nonce must be new).
import { createPublicKey, verify } from 'node:crypto';
import { KIOSK_SIGNATURE_WINDOW_MS } from '../../contracts/kiosk-signature.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RuleResult } from '../refusal.ts';
import type { AuditEntryInput, KioskRecord } from '../storage/issuer-storage.ts';

export type KioskSignatureRefusalCode =
  'kiosk-unknown' | 'kiosk-revoked' | 'kiosk-signature-invalid' | 'kiosk-request-stale';

export interface KioskSignedClaim {
  readonly kiosk: string;
  readonly sentAt: number;
  readonly message: Uint8Array;
  /** base64url, as the kiosk sent it. */
  readonly signature: string;
}

export async function verifyKioskSignature(
  ctx: Pick<IssuerContext, 'storage' | 'now' | 'audit'>,
  event: string,
  claim: KioskSignedClaim,
  details: AuditEntryInput['details'],
): Promise<RuleResult<KioskRecord, KioskSignatureRefusalCode>> {
  const kiosk = await ctx.storage.findKiosk(claim.kiosk);
  if (kiosk === null) return auditedRefusal(ctx, event, 'kiosk-unknown', details);
  if (kiosk.revokedAt !== null) return auditedRefusal(ctx, event, 'kiosk-revoked', details);
  if (!signatureVerifies(kiosk.publicKeyDer, claim))
    return auditedRefusal(ctx, event, 'kiosk-signature-invalid', details);
  // After the signature: only the kiosk itself learns that its clock is off.
  const offMs = claim.sentAt - ctx.now().getTime();
  if (Math.abs(offMs) > KIOSK_SIGNATURE_WINDOW_MS)
    return auditedRefusal(ctx, event, 'kiosk-request-stale', details, {
      detail: `sent ${Math.round(offMs / 1000)} s from the issuer's clock`,
    });
  return ok(kiosk);
}

function signatureVerifies(publicKeyDer: Uint8Array, claim: KioskSignedClaim): boolean {
  const signature = Buffer.from(claim.signature, 'base64url');
  if (signature.length !== 64) return false;
  const key = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' });
  return verify(null, claim.message, key, signature);
}
