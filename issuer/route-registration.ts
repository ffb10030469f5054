// Registers a route of the table (contracts/issuer-routes.ts) on Fastify: its schemas validate params, query and
// body; its OpenAPI responses are its success body plus, for every code it can answer with, that code's status
// (contracts/issuer-errors.ts). The handler parses, calls one rule function and answers with `reply(outcome)`.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { TSchema } from 'typebox';
import { IssuerError, OAuthError } from '../contracts/issuer-api.ts';
import { errorEntry, isOAuthErrorCode } from '../contracts/issuer-errors.ts';
import { ISSUER_API, answerableErrorCodes } from '../contracts/issuer-routes.ts';
import type {
  NonJsonMedia,
  RouteBody,
  RouteName,
  RouteParams,
  RouteQuery,
  RouteSpec,
} from '../contracts/issuer-routes.ts';
import { KIOSK_SIGNATURE_HEADER } from '../contracts/kiosk-signature.ts';
import { bearerToken, sendRefusal } from './http-errors.ts';
import type { KioskRequestProof } from './kiosks/kiosk-request.ts';
import { bodyDigestOf } from './kiosks/request-body-digest.ts';
import type { RouteRuleResult } from './refusal.ts';

/** What a handler hands its rule: the validated request parts, and who and where the caller is. */
export interface RouteInput<N extends RouteName> {
  readonly params: RouteParams<N>;
  readonly query: RouteQuery<N>;
  readonly body: RouteBody<N>;
  /** The Authorization header's bearer token; null when absent or malformed. */
  readonly bearer: string | null;
  readonly ip: string;
  /** True once the caller has gone (a long poll stops waiting). */
  readonly callerGone: () => boolean;
  /** The kiosk's signature header and what it covers (kiosks/kiosk-request.ts checks it where a rule asks). */
  readonly kioskProof: KioskRequestProof;
}

const MEDIA_DESCRIPTIONS: Record<NonJsonMedia, string> = {
  'text/event-stream': 'Server-sent events; each `data:` is one success body',
  'application/pkix-crl': 'The CRL, DER (RFC 5280)',
  'application/ocsp-response': 'The OCSP response, DER (RFC 6960)',
};

/** Status → body schema of every answer route can send; throws if two body shapes would share a status. */
export function responseSchemas(route: RouteSpec): Record<number, unknown> {
  const responses: Record<number, unknown> = {
    [route.success.status]:
      route.success.media === undefined
        ? route.success.body
        : {
            description: MEDIA_DESCRIPTIONS[route.success.media],
            content: { [route.success.media]: { schema: route.success.body } },
          },
  };
  const shapes = new Map<number, TSchema>();
  for (const code of answerableErrorCodes(route)) {
    const { status } = errorEntry(code);
    const shape = isOAuthErrorCode(code) ? OAuthError : IssuerError;
    if ((shapes.get(status) ?? shape) !== shape)
      throw new Error(`${route.path}: status ${status} would carry two error shapes`);
    shapes.set(status, shape);
    responses[status] = shape;
  }
  return responses;
}

/** Fastify's schema for route: validation of its parts and the OpenAPI summary and responses. */
export function routeSchema(route: RouteSpec): FastifySchema {
  return {
    summary: route.summary,
    ...(route.params === undefined ? {} : { params: route.params }),
    ...(route.query === undefined ? {} : { querystring: route.query }),
    ...(route.body === undefined ? {} : { body: route.body }),
    response: responseSchemas(route),
  };
}

export function routeInput<N extends RouteName>(request: FastifyRequest): RouteInput<N> {
  // Params, query and body were checked against this route's schemas (TypeBoxValidatorCompiler) before any handler
  // runs: these assertions restate what the validator proved.
  return {
    params: request.params as RouteParams<N>,
    query: request.query as RouteQuery<N>,
    body: request.body as RouteBody<N>,
    bearer: bearerToken(request.headers.authorization),
    ip: request.ip,
    callerGone: () => request.raw.destroyed,
    kioskProof: kioskProofOf(request),
  };
}

function kioskProofOf(request: FastifyRequest): KioskRequestProof {
  const header = request.headers[KIOSK_SIGNATURE_HEADER];
  return {
    // A repeated header arrives as an array: the empty string fails the header's parse, as it should.
    header: header === undefined ? null : typeof header === 'string' ? header : '',
    method: request.method,
    path: request.url,
    bodySha256: bodyDigestOf(request.raw),
  };
}

/** The one answer of a handler: the success body with the route's status, or the refusal's table entry. */
export function reply<N extends RouteName>(
  fastifyReply: FastifyReply,
  name: N,
  outcome: RouteRuleResult<N>,
): FastifyReply {
  if (!outcome.ok) return sendRefusal(fastifyReply, outcome.error);
  return fastifyReply.code(ISSUER_API[name].success.status).header('cache-control', 'no-store').send(outcome.value);
}

/** Route `name` of the table, answered by `rule` (given the parsed input). */
export function registerRoute<N extends RouteName>(
  app: FastifyInstance,
  name: N,
  rule: (input: RouteInput<N>) => Promise<RouteRuleResult<N>>,
): void {
  const route: RouteSpec = ISSUER_API[name];
  app.route({
    method: route.method,
    url: route.path,
    schema: routeSchema(route),
    handler: async (request, fastifyReply) => reply(fastifyReply, name, await rule(routeInput<N>(request))),
  });
}

/** The table's route for a registered URL pattern (null: an operations route, or none matched). */
const ROUTES_BY_PATH: ReadonlyMap<string, RouteSpec> = new Map(
  Object.values(ISSUER_API).map((route: RouteSpec) => [route.path, route]),
);

export function routeOf(request: FastifyRequest): RouteSpec | null {
  return ROUTES_BY_PATH.get(request.routeOptions.url ?? '') ?? null;
}
