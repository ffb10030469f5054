// Phone: GET the state and renewal date of a derived credential by its serial ("app" notification channel).
import type { FastifyInstance } from 'fastify';
import { CredentialSerialParams, CredentialStatus, ISSUER_ROUTES, IssuerError } from '../../contracts/issuer-api.ts';
import { sendError } from '../http-errors.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { credentialStatus } from '../notifications/credential-status.ts';

export function registerCredentialStatusRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  app.get<{ Params: CredentialSerialParams }>(ISSUER_ROUTES.credentialStatus, {
    schema: {
      summary: 'Phone: a derived credential\'s state and renewal date ("app" notices)',
      params: CredentialSerialParams, response: { 200: CredentialStatus, 404: IssuerError },
    },
  }, async (request, reply) => {
    const credential = await ctx.storage.findDerivedCertificate(request.params.serialNumberHex);
    if (credential === null) return sendError(reply, 404, 'not-found', 'No derived credential has this serial number.');
    return reply.header('cache-control', 'no-store').send(credentialStatus(credential, ctx.config.notifications, ctx.now().getTime()));
  });
}
