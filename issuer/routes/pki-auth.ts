// PKI-AUTH (FIPS 201-3 §6.2.3.1): a single-use challenge (the issuer's nonce), then the card's certificate + signature
// over pkiAuthMessage(challenge, kiosk nonce) (contracts/pki-auth-message.ts),
// checked by issuer/pki-auth → a short-lived kiosk session bound to that card.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  ChallengeAnswer, ChallengeRequest, ChallengeResponse, ISSUER_ROUTES, IssuerError, KioskSession,
} from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { sendError } from '../http-errors.ts';
import { hashToken, newOpaqueToken, newRecordId } from '../secrets.ts';
import { PKI_AUTH_ISSUER_NONCE_BYTES } from '../../contracts/pki-auth-message.ts';


/** base64url text (already checked by the body schema) → bytes, viewed without a second copy. */
function base64UrlBytes(text: string): Uint8Array {
  return Buffer.from(text, 'base64url');
}

export function registerPkiAuthRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  app.post<{ Body: ChallengeRequest }>(ISSUER_ROUTES.pkiAuthChallenge, {
    schema: { summary: 'PKI-AUTH: a single-use challenge for the card to sign', body: ChallengeRequest, response: { 200: ChallengeResponse } },
  }, async (request, reply) => {
    const now = ctx.now().getTime();
    const lifetime = ctx.config.pkiAuth.challengeLifetimeSeconds;
    const id = newRecordId();
    const challenge = randomBytes(PKI_AUTH_ISSUER_NONCE_BYTES);
    await ctx.storage.insertChallenge({
      id, challenge, kioskId: request.body.kioskId ?? null, createdAt: now, expiresAt: now + lifetime * 1000, usedAt: null,
    });
    return reply.header('cache-control', 'no-store').send({
      challengeId: id, challenge: challenge.toString('base64url'), expiresIn: lifetime,
    });
  });

  app.post<{ Body: ChallengeAnswer }>(ISSUER_ROUTES.pkiAuthResponse, {
    schema: {
      summary: 'PKI-AUTH: card certificate + signature over the challenge → kiosk session',
      body: ChallengeAnswer,
      response: { 200: KioskSession, 401: IssuerError, 422: IssuerError },
    },
  }, async (request, reply) => {
    const { challengeId } = request.body;
    const now = ctx.now();
    const challenge = await ctx.storage.findChallenge(challengeId);
    const failureDetails = () => ({ challengeId, kioskId: challenge?.kioskId ?? null, ip: request.ip });
    const fail = async (status: number, code: Parameters<typeof sendError>[2], message: string) => {
      await ctx.audit('pki-auth', 'failure', code, failureDetails());
      return sendError(reply, status, code, message);
    };
    if (challenge === null) return fail(401, 'challenge-unknown', 'Unknown challenge: ask for a new one.');
    if (challenge.usedAt !== null) return fail(401, 'challenge-used', 'This challenge was already used: ask for a new one.');
    if (now.getTime() >= challenge.expiresAt) return fail(401, 'challenge-expired', 'The challenge expired: ask for a new one.');
    const result = await ctx.verifyCard({
      issuerNonce: challenge.challenge,
      kioskNonce: base64UrlBytes(request.body.kioskNonce),
      signature: base64UrlBytes(request.body.signature),
      certificateDer: base64UrlBytes(request.body.certificate),
    }, ctx.trustPolicy);
    // Whatever the verdict, the challenge is used up: marking it and auditing why happen in one transaction, and
    // only one of several concurrent answers to the same challenge can do so (the others are replays).
    if (!result.ok) {
      const consumed = await ctx.storage.consumeChallenge(challengeId, now.getTime(),
        auditEntry(ctx, 'pki-auth', 'failure', result.code, failureDetails()));
      if (!consumed) return fail(401, 'challenge-used', 'This challenge was already used: ask for a new one.');
      return sendError(reply, 401, result.code, result.message);
    }
    const { identity } = result;
    const sessionToken = newOpaqueToken();
    const lifetime = ctx.config.pkiAuth.kioskSessionLifetimeSeconds;
    const sessionId = newRecordId();
    const cardId = await ctx.storage.openKioskSession(challengeId, now.getTime(), {
      id: newRecordId(), issuerDn: identity.issuerDn, serialNumberHex: identity.serialNumberHex, uuid: identity.uuid,
      fascnHex: identity.fascnHex, commonName: identity.commonName, notAfter: identity.notAfter.getTime(),
      certificateDer: identity.certificateDer,
    }, {
      id: sessionId, tokenHash: hashToken(sessionToken), kioskId: challenge.kioskId,
      createdAt: now.getTime(), expiresAt: now.getTime() + lifetime * 1000, userCodeFailures: 0,
    }, (storedCardId) => auditEntry(ctx, 'pki-auth', 'success', null, {
      challengeId, kioskId: challenge.kioskId, sessionId, cardId: storedCardId, cardIssuer: identity.issuerDn,
      cardSerial: identity.serialNumberHex, uuid: identity.uuid, fascnHex: identity.fascnHex, ip: request.ip,
    }));
    if (cardId === null) return fail(401, 'challenge-used', 'This challenge was already used: ask for a new one.');
    return reply.header('cache-control', 'no-store').send({
      sessionToken, expiresIn: lifetime,
      cardholder: {
        commonName: identity.commonName, uuid: identity.uuid, fascnHex: identity.fascnHex,
        cardCertificateNotAfter: identity.notAfter.toISOString(),
      },
    });
  });
}
