// The routes an operations team and a load balancer use: /healthz (the process answers), /readyz (database, CA
// key, CRL freshness: send traffic here?), /metrics (Prometheus text). Also the hook that times every answer,
// counts outcomes by route and error code, logs one line per request and echoes the request id.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../../contracts/issuer-api.ts';
import { ISSUER_API, OPERATIONS_PATHS } from '../../contracts/issuer-routes.ts';
import { CaSignerUnavailableError } from '../ca/ca-signer.ts';
import { errorCodeOf, sendRefusal } from '../http-errors.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { STORAGE_BUSY, STORAGE_UNAVAILABLE } from '../storage/issuer-storage.ts';
import type { IssuerMetrics } from './metrics.ts';
import { CrlFreshness, readiness } from './readiness.ts';

export interface OperationsOptions {
  metrics: IssuerMetrics;
  /** File holding the bearer token /metrics requires; null → /metrics answers loopback callers only. */
  metricsBearerTokenFile: string | null;
  /** The text /metrics serves: this process's registry, or the sum over the cluster's workers. */
  metricsText?: () => Promise<string>;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** Who may read /metrics: with a token file, callers presenting that bearer token; else loopback callers only. */
function metricsAccess(tokenFile: string | null): (request: FastifyRequest) => boolean {
  if (tokenFile === null) return (request) => LOOPBACK.test(request.socket.remoteAddress ?? '');
  const token = readFileSync(tokenFile, 'utf8').trim();
  if (token.length < 32) throw new Error(`the /metrics token in ${tokenFile} is shorter than 32 characters`);
  const expected = createHash('sha256').update(`Bearer ${token}`).digest();
  return (request) => {
    const presented = request.headers.authorization;
    if (typeof presented !== 'string' || presented.length > 512) return false;
    return timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
  };
}

/**
 * 503 `ca-unavailable` when the CA key cannot sign, 503 `storage-unavailable` when the database cannot be reached
 * (not audited: the audit log is in that database); null for any other error (the caller answers those).
 */
export function operationalFailure(
  error: unknown,
  ctx: IssuerContext,
  reply: FastifyReply,
  metrics: IssuerMetrics,
): Promise<FastifyReply> | null {
  if (error instanceof CaSignerUnavailableError) {
    return ctx
      .audit('ca-signer', 'failure', 'ca-unavailable', { reason: error.reason })
      .catch(() => undefined)
      .then(() => sendRefusal(reply, { code: 'ca-unavailable', retryAfterSeconds: 5 }));
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === STORAGE_UNAVAILABLE)
    return Promise.resolve().then(() => sendRefusal(reply, { code: 'storage-unavailable', retryAfterSeconds: 5 }));
  if (code === STORAGE_BUSY) metrics.storageBusyFailures.inc();
  return null;
}

function countOutcome(metrics: IssuerMetrics, route: string, status: number, errorCode: string | null): void {
  if (route === ISSUER_API.approveUserCode.path)
    metrics.enrollments.inc({ result: status === 201 ? 'created' : (errorCode ?? String(status)) });
  else if (route === ISSUER_API.devicePairings.path)
    metrics.devicePairings.inc({ result: status === 200 ? 'shown' : (errorCode ?? String(status)) });
  else if (route === ISSUER_API.devicePairingDeny.path)
    metrics.devicePairings.inc({ result: status === 204 ? 'denied' : (errorCode ?? String(status)) });
  else if (route === ISSUER_API.redeemEnrollment.path)
    metrics.redeems.inc({ outcome: status === 200 ? 'issued' : (errorCode ?? String(status)) });
  else if (route === ISSUER_API.pkiAuthResponse.path) {
    if (status === 200) metrics.pkiAuthSuccesses.inc();
    else metrics.pkiAuthRefusals.inc({ code: errorCode ?? String(status) });
  }
}

export function registerOperations(app: FastifyInstance, ctx: IssuerContext, options: OperationsOptions): void {
  const { metrics } = options;
  const mayReadMetrics = metricsAccess(options.metricsBearerTokenFile);
  const metricsText = options.metricsText ?? (() => metrics.registry.metrics());
  const crls = new CrlFreshness();

  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    // Route patterns only (a fixed set): unmatched paths share one label, so scanners cannot grow the series.
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const errorCode = errorCodeOf(reply);
    metrics.requestDuration.observe(
      { route, method: request.method, status: String(status) },
      reply.elapsedTime / 1000,
    );
    countOutcome(metrics, route, status, errorCode);
    request.log.info(
      { route, method: request.method, status, errorCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
    done();
  });

  app.get(
    OPERATIONS_PATHS.healthz,
    { schema: { summary: 'Liveness: the process answers', hide: true } },
    (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'up' }),
  );

  app.get(
    OPERATIONS_PATHS.readyz,
    { schema: { summary: 'Readiness: database, CA key, CRL freshness', hide: true } },
    async (_request, reply) => {
      const result = await readiness(ctx, crls);
      metrics.ready.set(result.ready ? 1 : 0);
      return reply
        .code(result.ready ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({ status: result.ready ? 'ready' : 'not-ready', checks: result.checks });
    },
  );

  app.get(
    OPERATIONS_PATHS.metrics,
    { schema: { summary: 'Prometheus metrics', hide: true } },
    async (request, reply) => {
      if (!mayReadMetrics(request)) {
        return sendRefusal(reply, {
          code: 'metrics-forbidden',
          detail:
            options.metricsBearerTokenFile === null
              ? 'It answers loopback callers only (or configure operations.metricsBearerTokenFile).'
              : 'It needs the configured bearer token.',
        });
      }
      // Readiness feeds two gauges; refresh them so a scrape without a /readyz poll still sees the CA key's state.
      metrics.ready.set((await readiness(ctx, crls)).ready ? 1 : 0);
      return reply
        .header('content-type', metrics.registry.contentType)
        .header('cache-control', 'no-store')
        .send(await metricsText());
    },
  );
}
