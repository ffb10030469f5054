// Phone: GET the state and renewal date of a derived credential by its serial ("app" notification channel).
import type { FastifyInstance } from 'fastify';
import type { IssuerContext } from '../issuer-context.ts';
import { credentialStatusBySerial } from '../notifications/credential-status.ts';
import { registerRoute } from '../route-registration.ts';

export function registerCredentialStatusRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  registerRoute(app, 'credentialStatus', ({ params }) => credentialStatusBySerial(ctx, params.serialNumberHex));
}
