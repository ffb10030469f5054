// PKI-AUTH step 2: the card's certificate + its signature over pkiAuthMessage(challenge, kiosk nonce)
// (contracts/pki-auth-message.ts), checked by verify-card-authentication.ts → a short-lived kiosk session bound
// to that card. The challenge is used up whatever the verdict.
import type { ChallengeAnswer } from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult, RuleResult } from '../refusal.ts';
import type { CARD_VERIFICATION_ERROR_CODES } from '../../contracts/issuer-routes.ts';
import type { CardRecord, ChallengeRecord } from '../storage/issuer-storage.ts';
import type { CardIdentity } from './verify-card-authentication.ts';
import { signingKiosk } from '../kiosks/kiosk-request.ts';
import type { KioskRequestProof } from '../kiosks/kiosk-request.ts';
import { hashToken, newOpaqueToken, newRecordId } from '../secrets.ts';

/** base64url text (already checked by the body schema) → bytes. */
function base64UrlBytes(text: string): Uint8Array {
  return Buffer.from(text, 'base64url');
}

type ChallengeAnswerRefusalCode =
  'challenge-unknown' | 'challenge-used' | 'challenge-expired' | (typeof CARD_VERIFICATION_ERROR_CODES)[number];

/** A verified answer: the card's identity, and the challenge it answered (still to be marked used). */
export interface VerifiedAnswer {
  identity: CardIdentity;
  challenge: ChallengeRecord;
}

/**
 * The checks every PKI-AUTH sign-in makes (the kiosk's, and the help-desk agent's, issuer/agent/agent-sign-in.ts):
 * the challenge is known, unused and alive, and the card's certificate and signature verify. A refused answer uses
 * the challenge up, audited under `event`; a verified one leaves it for the caller to use up with its session.
 */
export async function verifyChallengeAnswer(
  ctx: IssuerContext,
  event: string,
  input: { answer: ChallengeAnswer; ip: string },
): Promise<RuleResult<VerifiedAnswer, ChallengeAnswerRefusalCode>> {
  const { answer, ip } = input;
  const { challengeId } = answer;
  const now = ctx.now();
  const challenge = await ctx.storage.findChallenge(challengeId);
  const failureDetails = { challengeId, kioskId: challenge?.kioskId ?? null, ip };
  if (challenge === null) return auditedRefusal(ctx, event, 'challenge-unknown', failureDetails);
  if (challenge.usedAt !== null) return auditedRefusal(ctx, event, 'challenge-used', failureDetails);
  if (now.getTime() >= challenge.expiresAt) return auditedRefusal(ctx, event, 'challenge-expired', failureDetails);
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
      auditEntry(ctx, event, 'failure', result.code, failureDetails),
    );
    if (!consumed) return auditedRefusal(ctx, event, 'challenge-used', failureDetails);
    return refuse(result.code, { detail: `(${result.message})` });
  }
  return ok({ identity: result.identity, challenge });
}

/** The card record a verified identity is stored as (inserted, or refreshed when issuer + serial are known). */
export function cardRecordOf(identity: CardIdentity): CardRecord {
  return {
    id: newRecordId(),
    issuerDn: identity.issuerDn,
    serialNumberHex: identity.serialNumberHex,
    uuid: identity.uuid,
    fascnHex: identity.fascnHex,
    commonName: identity.commonName,
    notAfter: identity.notAfter.getTime(),
    certificateDer: identity.certificateDer,
  };
}

export async function signInWithCard(
  ctx: IssuerContext,
  input: { answer: ChallengeAnswer; ip: string; kioskProof: KioskRequestProof },
): Promise<RouteRuleResult<'pkiAuthResponse'>> {
  // The kiosk first: an unknown or replayed kiosk call does not even use the challenge up.
  const signer = await signingKiosk(ctx, 'pki-auth', input.kioskProof, input.ip);
  if (!signer.ok) return signer;
  const verified = await verifyChallengeAnswer(ctx, 'pki-auth', input);
  if (!verified.ok) return verified;
  const { ip } = input;
  const { challengeId } = input.answer;
  const { identity, challenge } = verified.value;
  // The kiosk that signed the answer is the session's; an unsigned one (kioskSignatures optional) keeps the label
  // the challenge was asked with.
  const kioskId = signer.value ?? challenge.kioskId;
  const now = ctx.now();
  const failureDetails = { challengeId, kioskId, ip };
  const sessionToken = newOpaqueToken();
  const lifetime = ctx.config.pkiAuth.kioskSessionLifetimeSeconds;
  const sessionId = newRecordId();
  const cardId = await ctx.storage.openKioskSession(
    challengeId,
    now.getTime(),
    cardRecordOf(identity),
    {
      id: sessionId,
      tokenHash: hashToken(sessionToken),
      kioskId,
      // Bound to the kiosk whose signed answer this is: only its signed calls may use the session.
      signedKioskId: signer.value,
      createdAt: now.getTime(),
      expiresAt: now.getTime() + lifetime * 1000,
      userCodeFailures: 0,
    },
    (storedCardId) =>
      auditEntry(ctx, 'pki-auth', 'success', null, {
        challengeId,
        kioskId,
        kioskSigned: signer.value !== null,
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
