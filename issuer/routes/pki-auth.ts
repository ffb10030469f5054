// PKI-AUTH for the kiosk (FIPS 201-3 §6.2.3.1): a challenge, then the card's answer → kiosk session. The rules are
// issuer/pki-auth/issue-challenge.ts and sign-in-with-card.ts.
import type { FastifyInstance } from 'fastify';
import type { IssuerContext } from '../issuer-context.ts';
import { issueChallenge } from '../pki-auth/issue-challenge.ts';
import { signInWithCard } from '../pki-auth/sign-in-with-card.ts';
import { registerRoute } from '../route-registration.ts';

export function registerPkiAuthRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  registerRoute(app, 'pkiAuthChallenge', ({ body, ip, kioskProof }) =>
    issueChallenge(ctx, { request: body, kioskProof, ip }),
  );
  registerRoute(app, 'pkiAuthResponse', ({ body, ip, kioskProof }) =>
    signInWithCard(ctx, { answer: body, ip, kioskProof }),
  );
}
