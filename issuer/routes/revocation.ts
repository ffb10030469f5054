// Relying parties: the CRL of each issuer generation (GET, DER, application/pkix-crl) and the OCSP responder
// (POST application/ocsp-request, or GET with the request in the path, RFC 6960 A.1 → application/ocsp-response). Neither needs a token. Both are routes of the table
// (contracts/issuer-routes.ts: derivedCrl, ocsp), so they are in the OpenAPI document, but like the event stream
// they have their own handlers: registerRoute answers JSON, these answer DER. The rules are plain functions in
// issuer/lifecycle/ (published-crl.ts, ocsp-responder.ts); each handler parses, calls one, answers.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ISSUER_API } from '../../contracts/issuer-routes.ts';
import type { RouteSpec } from '../../contracts/issuer-routes.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { sendRefusal } from '../http-errors.ts';
import { answerOcsp, ocspError, ocspRequestFromGetPath } from '../lifecycle/ocsp-responder.ts';
import type { OcspResponderDeps } from '../lifecycle/ocsp-responder.ts';
import { publishedCrl } from '../lifecycle/published-crl.ts';
import { routeInput, routeSchema } from '../route-registration.ts';

const OCSP_REQUEST = 'application/ocsp-request';

function sendDer(reply: FastifyReply, route: RouteSpec, der: Uint8Array, cacheControl: string): FastifyReply {
  return reply
    .code(route.success.status)
    .header('content-type', route.success.media ?? 'application/octet-stream')
    .header('cache-control', cacheControl)
    .send(Buffer.from(der));
}

export function registerRevocationRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  const crlRoute: RouteSpec = ISSUER_API.derivedCrl;
  app.get(crlRoute.path, { schema: routeSchema(crlRoute) }, async (request, reply) => {
    const { params } = routeInput<'derivedCrl'>(request);
    const answer = await publishedCrl(
      { crl: ctx.crl, now: ctx.now, maxCacheSeconds: ctx.config.revocation.crlCheckSeconds },
      Number(params.generation),
    );
    if (!answer.ok) return sendRefusal(reply, answer.error);
    return sendDer(reply, crlRoute, answer.value.der, `public, max-age=${answer.value.maxAgeSeconds}`);
  });

  const ocspRoute: RouteSpec = ISSUER_API.ocsp;
  const ocspGetRoute: RouteSpec = ISSUER_API.ocspGet;
  const responderDeps: OcspResponderDeps = {
    storage: ctx.storage,
    ca: ctx.ca,
    issuerGeneration: ctx.issuerGeneration,
    retired: ctx.retiredOcspResponders,
    now: ctx.now,
    validityMs: ctx.config.revocation.ocspValiditySeconds * 1000,
  };
  app.register((scope, _options, done) => {
    scope.addContentTypeParser(OCSP_REQUEST, { parseAs: 'buffer' }, (_request, body, parsed) => {
      parsed(null, body);
    });
    // A body too large, of another type, or unreadable is still answered in OCSP's own terms.
    scope.setErrorHandler((_error: FastifyError, _request, reply) =>
      sendDer(reply, ocspRoute, ocspError('malformedRequest'), 'no-store'),
    );
    scope.post(ocspRoute.path, { schema: routeSchema(ocspRoute) }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? new Uint8Array(request.body) : new Uint8Array(0);
      return sendDer(reply, ocspRoute, await answerOcsp(body, responderDeps), 'no-store');
    });
    scope.get(ocspGetRoute.path, { schema: routeSchema(ocspGetRoute) }, async (request, reply) => {
      const { params } = routeInput<'ocspGet'>(request);
      const der = ocspRequestFromGetPath(params.request);
      const answer = der === null ? ocspError('malformedRequest') : await answerOcsp(der, responderDeps);
      // no-store as for POST: an answer may echo the request's nonce, and revocations must be seen at once.
      return sendDer(reply, ocspGetRoute, answer, 'no-store');
    });
    done();
  });
}
