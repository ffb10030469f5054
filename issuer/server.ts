// Builds the Fastify app: HTTPS, strict body validation, small body limit, form-encoded bodies for RFC 8628,
// rate limits, OpenAPI, one error shape. Routes live in issuer/routes/.
import fastifySwagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ISSUER_API, OPERATIONS_PATHS } from '../contracts/issuer-routes.ts';
import type { IssuerContext } from './issuer-context.ts';
import { sendRateLimited, sendRefusal } from './http-errors.ts';
import { serviceLimiter } from './rate-limit.ts';
import { issuerMetadata } from './issuer-metadata.ts';
import { registerRoute, routeOf } from './route-registration.ts';
import { registerAgentRoutes } from './routes/agent.ts';
import { registerDeviceFlowRoutes } from './routes/device-flow.ts';
import { registerDevicePairingRoutes } from './routes/device-pairing.ts';
import { registerEnrollmentRoutes } from './routes/enrollments.ts';
import { registerPcRoutes } from './routes/pc.ts';
import { registerCredentialStatusRoutes } from './routes/credential-status.ts';
import { registerPkiAuthRoutes } from './routes/pki-auth.ts';
import { registerKioskRoutes } from './routes/kiosks.ts';
import { registerRevocationRoutes } from './routes/revocation.ts';
import type { TlsIdentity } from './tls.ts';
import type { Writable } from 'node:stream';
import { operationalFailure, registerOperations } from './operations/operations-routes.ts';
import type { OperationsOptions } from './operations/operations-routes.ts';
import { loggerOptions } from './operations/request-log.ts';
import { MAX_GET_PATH_SEGMENT_CHARS } from './lifecycle/ocsp-responder.ts';
import { rememberBodyDigest } from './kiosks/request-body-digest.ts';

/** Metrics, /metrics access and where the JSON log lines go (null: no log). */
export interface IssuerOperations extends OperationsOptions {
  logStream: Writable | null;
}

/** Largest body any route accepts: a PIV certificate or a CSR in base64 fits comfortably. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Routes anyone may call without a token that write a row: their own, lower limits keep a flood off the disk. */
const UNAUTHENTICATED_WRITE_ROUTES: ReadonlySet<string> = new Set([
  ISSUER_API.deviceAuthorization.path,
  ISSUER_API.pkiAuthChallenge.path,
]);
const SERVICE_KEY = 'service';

function parseForm(body: string): Record<string, string> {
  const params = new URLSearchParams(body);
  const result: Record<string, string> = {};
  for (const [key, value] of params) {
    // RFC 6749 §3.2: parameters must not repeat; a repeat is ambiguous, so refuse it.
    if (Object.hasOwn(result, key))
      throw Object.assign(new Error(`parameter "${key.slice(0, 40)}" repeats`), { statusCode: 400 });
    result[key] = value;
  }
  return result;
}

export async function buildIssuerApp(
  ctx: IssuerContext,
  tls: TlsIdentity,
  operations: IssuerOperations,
): Promise<FastifyInstance> {
  const app = Fastify({
    https: { key: tls.keyPem, cert: tls.certificatePem },
    bodyLimit: BODY_LIMIT_BYTES,
    ...loggerOptions(operations.logStream, ctx.config.operations.logLevel),
    // Long-polls hold requests for up to a minute.
    requestTimeout: 90_000,
    // An OCSP GET carries its request in the path (RFC 6960 A.1); other path parameters are short ids whose
    // schemas bound them anyway. Longer segments are not routed (404).
    // (Under routerOptions: the top-level option is deprecated in Fastify 5 and warns on every start.)
    routerOptions: { maxParamLength: MAX_GET_PATH_SEGMENT_CHARS },
    // The router's own refusals (a path segment over maxParamLength, a malformed %-escape) answered in the error
    // table's shape: Fastify's default echoes the whole path back (up to the header limit) with status 414.
    frameworkErrors: (_error, _request, reply) => {
      void sendRefusal(reply, { code: 'not-found' });
    },
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(String(body)));
    } catch (error: unknown) {
      done(error instanceof Error ? error : new Error('bad form body'), undefined);
    }
  });

  // JSON as Fastify's own parser reads it (prototype-poisoning refused), with the body's digest kept for the kiosk's
  // signed calls (kiosks/request-body-digest.ts).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    rememberBodyDigest(request.raw, bytes);
    void parseJson(request, bytes.toString('utf8'), done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const route = routeOf(request);
    const status = error.statusCode ?? 500;
    if (error.validation !== undefined || (status === 400 && error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE')) {
      const detail = error.validation?.[0];
      const what =
        detail === undefined
          ? error.message.slice(0, 200)
          : `${(detail.instancePath || error.validationContext) ?? 'body'} ${detail.message ?? 'is invalid'}`.slice(
              0,
              300,
            );
      return sendRefusal(reply, {
        code: route?.errorShape === 'oauth' ? 'invalid_request' : 'bad-request',
        detail: what,
      });
    }
    if (status === 413)
      return sendRefusal(reply, { code: 'payload-too-large', detail: `(The limit is ${BODY_LIMIT_BYTES} bytes.)` });
    if (status === 415) return sendRefusal(reply, { code: 'unsupported-media-type' });
    if (status === 429) return sendRateLimited(reply, route, 60);
    const operational = operationalFailure(error, ctx, reply, operations.metrics);
    if (operational !== null) return operational;
    request.log.error({ err: error }, 'issuer request failed');
    return sendRefusal(reply, { code: 'internal-error' });
  });
  app.setNotFoundHandler((_request, reply) => sendRefusal(reply, { code: 'not-found' }));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `${ctx.config.displayName} API`,
        version: '1',
        description: 'Derived PIV credential issuer (SP 800-157).',
      },
    },
  });
  // Every request counts against its address's cap (the code-guessing routes have their own, lower limit too).
  const limits = ctx.config.rateLimits;
  const perAddress = serviceLimiter(limits, 'requestsPerMinute');
  const unauthenticatedPerAddress = serviceLimiter(limits, 'unauthenticatedPerAddressPerMinute');
  const unauthenticatedService = serviceLimiter(limits, 'unauthenticatedServicePerMinute');
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url ?? '';
    let verdict = perAddress.take(request.ip);
    // The service-wide count is taken only for requests their address may make, so one flooding address cannot
    // spend the whole service's allowance by itself.
    if (verdict.allowed && UNAUTHENTICATED_WRITE_ROUTES.has(route)) {
      verdict = unauthenticatedPerAddress.take(request.ip);
      if (verdict.allowed) verdict = unauthenticatedService.take(SERVICE_KEY);
    }
    if (verdict.allowed) {
      done();
      return;
    }
    sendRateLimited(reply, routeOf(request), verdict.retryAfterSeconds);
  });

  registerRoute(app, 'metadata', () => issuerMetadata(ctx));
  app.get(OPERATIONS_PATHS.openApi, { schema: { hide: true } }, () => app.swagger());
  registerDeviceFlowRoutes(app, ctx);
  registerPkiAuthRoutes(app, ctx);
  registerKioskRoutes(app, ctx);
  registerDevicePairingRoutes(app, ctx);
  registerEnrollmentRoutes(app, ctx);
  registerCredentialStatusRoutes(app, ctx);
  registerPcRoutes(app, ctx);
  registerRevocationRoutes(app, ctx);
  registerAgentRoutes(app, ctx);
  registerOperations(app, ctx, operations);
  return app;
}
