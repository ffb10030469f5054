// PKI-AUTH step 2: the card's certificate + its signature over pkiAuthMessage(challenge, kiosk nonce)
// (contracts/pki-auth-message.ts), checked by verify-card-authentication.ts → a short-lived kiosk session bound
// to that card. The challenge is used up whatever the verdict.
import type { ChallengeAnswer } from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { hashToken, newOpaqueToken, newRecordId } from '../secrets.ts';

/** base64url text (already checked by the body schema) → bytes. */
function base64UrlBytes(text: string): Uint8Array {
  return Buffer.from(text, 'base64url');
}

export async function signInWithCard(
  ctx: IssuerContext,
  input: { answer: ChallengeAnswer; ip: string },
): Promise<RouteRuleResult<'pkiAuthResponse'>> {
  const { answer, ip } = input;
  const { challengeId } = answer;
  const now = ctx.now();
  const challenge = await ctx.storage.findChallenge(challengeId);
  const failureDetails = { challengeId, kioskId: challenge?.kioskId ?? null, ip };
  if (challenge === null) return auditedRefusal(ctx, 'pki-auth', 'challenge-unknown', failureDetails);
  if (challenge.usedAt !== null) return auditedRefusal(ctx, 'pki-auth', 'challenge-used', failureDetails);
  if (now.getTime() >= challenge.expiresAt) return auditedRefusal(ctx, 'pki-auth', 'challenge-expired', failureDetails);
  const result = await ctx.verifyCard(
    {
      issuerNonce: challenge.challenge,
      kioskNonce: base64UrlBytes(answer.kioskNonce),
      signature: base64UrlBytes(answer.signature),
      certificateDer: base64UrlBytes(answer.certificate),
    },
    ctx.trustPolicy,
  );
  // Whatever the verdict, the challenge is used up: marking it and auditing why happen in one transaction, and
  // only one of several concurrent answers to the same challenge can do so (the others are replays).
  if (!result.ok) {
    const consumed = await ctx.storage.consumeChallenge(
      challengeId,
      now.getTime(),
      auditEntry(ctx, 'pki-auth', 'failure', result.code, failureDetails),
    );
    if (!consumed) return auditedRefusal(ctx, 'pki-auth', 'challenge-used', failureDetails);
    return refuse(result.code, { detail: `(${result.message})` });
  }
  const { identity } = result;
  const sessionToken = newOpaqueToken();
  const lifetime = ctx.config.pkiAuth.kioskSessionLifetimeSeconds;
  const sessionId = newRecordId();
  const cardId = await ctx.storage.openKioskSession(
    challengeId,
    now.getTime(),
    {
      id: newRecordId(),
      issuerDn: identity.issuerDn,
      serialNumberHex: identity.serialNumberHex,
      uuid: identity.uuid,
      fascnHex: identity.fascnHex,
      commonName: identity.commonName,
      notAfter: identity.notAfter.getTime(),
      certificateDer: identity.certificateDer,
    },
    {
      id: sessionId,
      tokenHash: hashToken(sessionToken),
      kioskId: challenge.kioskId,
      createdAt: now.getTime(),
      expiresAt: now.getTime() + lifetime * 1000,
      userCodeFailures: 0,
    },
    (storedCardId) =>
      auditEntry(ctx, 'pki-auth', 'success', null, {
        challengeId,
        kioskId: challenge.kioskId,
        sessionId,
        cardId: storedCardId,
        cardIssuer: identity.issuerDn,
        cardSerial: identity.serialNumberHex,
        uuid: identity.uuid,
        fascnHex: identity.fascnHex,
        ip,
      }),
  );
  if (cardId === null) return auditedRefusal(ctx, 'pki-auth', 'challenge-used', failureDetails);
  return ok({
    sessionToken,
    expiresIn: lifetime,
    cardholder: {
      commonName: identity.commonName,
      uuid: identity.uuid,
      fascnHex: identity.fascnHex,
      cardCertificateNotAfter: identity.notAfter.toISOString(),
    },
  });
}
