// Relying parties: the CRL of each issuer generation (GET, DER, application/pkix-crl) and the OCSP responder
// (POST application/ocsp-request → application/ocsp-response). Neither needs a token. The rules are in
// issuer/lifecycle/ (crl-publisher.ts, ocsp-responder.ts); these handlers parse, call one function, answer.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import Type from 'typebox';
import type { Static } from 'typebox';
import { ISSUER_ROUTES, IssuerError } from '../../contracts/issuer-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { sendError } from '../http-errors.ts';
import { answerOcsp, ocspError } from '../lifecycle/ocsp-responder.ts';

const CrlParams = Type.Object({ generation: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) }, { additionalProperties: false });
type CrlParams = Static<typeof CrlParams>;

const OCSP_REQUEST = 'application/ocsp-request';

function sendOcsp(reply: FastifyReply, der: Uint8Array): FastifyReply {
  return reply.code(200).header('content-type', 'application/ocsp-response').header('cache-control', 'no-store').send(Buffer.from(der));
}

export function registerRevocationRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  app.get<{ Params: CrlParams }>(ISSUER_ROUTES.derivedCrl, {
    schema: {
      summary: 'Relying parties: the CRL (DER) of one issuer generation\'s derived certificates',
      params: CrlParams, response: { 404: IssuerError, 503: IssuerError },
    },
  }, async (request, reply) => {
    const crl = await ctx.crl.crlFor(Number(request.params.generation));
    if (crl === null) return sendError(reply, 404, 'crl-unavailable', 'No CRL of that issuer generation is published.');
    if (crl.nextUpdate <= ctx.now().getTime()) {
      return sendError(reply, 503, 'crl-unavailable', 'The CRL could not be brought up to date: try again shortly.');
    }
    const maxAge = Math.max(0, Math.floor((crl.nextUpdate - ctx.now().getTime()) / 1000));
    return reply.header('content-type', 'application/pkix-crl')
      .header('cache-control', `public, max-age=${Math.min(maxAge, ctx.config.revocation.crlCheckSeconds)}`)
      .send(Buffer.from(crl.der));
  });

  app.register((scope, _options, done) => {
    scope.addContentTypeParser(OCSP_REQUEST, { parseAs: 'buffer' }, (_request, body, parsed) => { parsed(null, body); });
    // A body too large, of another type, or unreadable is still answered in OCSP's own terms.
    scope.setErrorHandler((_error: FastifyError, _request, reply) => sendOcsp(reply, ocspError('malformedRequest')));
    scope.post(ISSUER_ROUTES.ocsp, { schema: { summary: 'Relying parties: OCSP (RFC 6960) for derived certificates', hide: true } },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? new Uint8Array(request.body) : new Uint8Array(0);
        return sendOcsp(reply, await answerOcsp(body, {
          storage: ctx.storage, ca: ctx.ca, issuerGeneration: ctx.issuerGeneration, now: ctx.now,
          validityMs: ctx.config.revocation.ocspValiditySeconds * 1000,
        }));
      });
    done();
  });
}
