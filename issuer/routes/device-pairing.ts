// Kiosk: number matching before approval (the rule: issuer/pairing/device-pairing.ts). Thin handlers: parse,
// call the rule, send its answer.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DevicePairing, DevicePairingIdParams, DevicePairingRequest, ISSUER_ROUTES, IssuerError,
} from '../../contracts/issuer-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { bearerToken, sendError, sendRateLimited } from '../http-errors.ts';
import { denyDevicePairing, showDevicePairing } from '../pairing/device-pairing.ts';
import { FixedWindowRateLimiter } from '../rate-limit.ts';
import { hashToken } from '../secrets.ts';
import type { KioskSessionRecord } from '../storage/issuer-storage.ts';

const SIGN_IN_AGAIN = 'Sign in with the card again (no or expired kiosk session).';

async function kioskSession(ctx: IssuerContext, request: FastifyRequest): Promise<KioskSessionRecord | null> {
  const token = bearerToken(request.headers.authorization);
  if (token === null) return null;
  const session = await ctx.storage.findKioskSessionByTokenHash(hashToken(token));
  return session !== null && session.expiresAt > ctx.now().getTime() ? session : null;
}

export function registerDevicePairingRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  // Showing a phone is a user_code guess like approving one: the same per-minute budget per sign-in / address.
  const codeGuesses = new FixedWindowRateLimiter(ctx.config.rateLimits.codeGuessesPerMinute, 60_000);

  app.post<{ Body: DevicePairingRequest }>(ISSUER_ROUTES.devicePairings, {
    schema: {
      summary: 'Kiosk: the phone behind a user_code (what it reported, the number it shows), before approval',
      body: DevicePairingRequest,
      response: { 200: DevicePairing, 400: IssuerError, 401: IssuerError, 404: IssuerError, 409: IssuerError, 410: IssuerError, 429: IssuerError },
    },
  }, async (request, reply) => {
    const session = await kioskSession(ctx, request);
    const verdict = codeGuesses.take(session === null ? `ip:${request.ip}` : `session:${session.id}`);
    if (!verdict.allowed) return sendRateLimited(reply, false, verdict.retryAfterSeconds);
    if (session === null) return sendError(reply, 401, 'invalid-session', SIGN_IN_AGAIN);
    const answer = await showDevicePairing(ctx, session, request.body.userCode);
    if (!answer.ok) return sendError(reply, answer.status, answer.code, answer.message);
    return reply.header('cache-control', 'no-store').send(answer.pairing);
  });

  app.post<{ Params: DevicePairingIdParams }>(ISSUER_ROUTES.devicePairingDeny, {
    schema: {
      summary: 'Kiosk: "not my phone": the shown phone\'s device authorization is denied',
      params: DevicePairingIdParams,
      response: { 204: { type: 'null' }, 401: IssuerError, 404: IssuerError, 409: IssuerError, 410: IssuerError },
    },
  }, async (request, reply) => {
    const session = await kioskSession(ctx, request);
    if (session === null) return sendError(reply, 401, 'invalid-session', SIGN_IN_AGAIN);
    const answer = await denyDevicePairing(ctx, session, request.params.pairingId);
    if (!answer.ok) return sendError(reply, answer.status, answer.code, answer.message);
    return reply.code(204).header('cache-control', 'no-store').send();
  });
}
