// Kiosk: number matching before approval (the rules: issuer/pairing/device-pairing.ts). Thin handlers: parse,
// call the rule, answer with what it returns.
import type { FastifyInstance } from 'fastify';
import type { IssuerContext } from '../issuer-context.ts';
import { denyDevicePairing, showDevicePairing } from '../pairing/device-pairing.ts';
import { serviceLimiter } from '../rate-limit.ts';
import { registerRoute } from '../route-registration.ts';

export function registerDevicePairingRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  // Its own counter, with approve's per-minute budget: showing then approving one phone is one guess of each kind.
  const codeGuesses = serviceLimiter(ctx.config.rateLimits, 'codeGuessesPerMinute');
  registerRoute(app, 'devicePairings', ({ bearer, body, ip }) =>
    showDevicePairing(ctx, codeGuesses, { sessionToken: bearer, userCode: body.userCode, ip }),
  );
  registerRoute(app, 'devicePairingDeny', ({ bearer, params }) =>
    denyDevicePairing(ctx, { sessionToken: bearer, pairingId: params.pairingId }),
  );
}
