// PKI-AUTH step 1 (FIPS 201-3 §6.2.3.1): a fresh, single-use, short-lived challenge (the issuer's nonce). A kiosk
// signs the call (issuer/kiosks/kiosk-request.ts): its verified name is recorded on the challenge.
import { randomBytes } from 'node:crypto';
import type { ChallengeRequest } from '../../contracts/issuer-api.ts';
import { PKI_AUTH_ISSUER_NONCE_BYTES } from '../../contracts/pki-auth-message.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { newRecordId } from '../secrets.ts';
import { signingKioskIfSigned } from '../kiosks/kiosk-request.ts';
import type { KioskRequestProof } from '../kiosks/kiosk-request.ts';

export async function issueChallenge(
  ctx: IssuerContext,
  input: { request: ChallengeRequest; kioskProof: KioskRequestProof; ip: string },
): Promise<RouteRuleResult<'pkiAuthChallenge'>> {
  const signer = await signingKioskIfSigned(ctx, 'pki-auth-challenge', input.kioskProof, input.ip);
  if (!signer.ok) return signer;
  const now = ctx.now().getTime();
  const lifetime = ctx.config.pkiAuth.challengeLifetimeSeconds;
  const id = newRecordId();
  const challenge = randomBytes(PKI_AUTH_ISSUER_NONCE_BYTES);
  await ctx.storage.insertChallenge({
    id,
    challenge,
    // A signing kiosk's verified name; else the caller's own unchecked label (kioskSignatures optional, the console).
    kioskId: signer.value ?? input.request.kioskId ?? null,
    createdAt: now,
    expiresAt: now + lifetime * 1000,
    usedAt: null,
  });
  return ok({ challengeId: id, challenge: challenge.toString('base64url'), expiresIn: lifetime });
}
