// Structured JSON logs (Fastify's pino): one line per answered request with its request id, route pattern,
// status, error code and duration. Never a body, a query string, a header value or a raw URL: those carry
// OTPs, device codes, tokens and CSRs. The redact list is a second guard for anything that logs a request object.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { LogController } from 'fastify';
import type { FastifyServerOptions } from 'fastify';
import { REQUEST_ID_HEADER } from '../../contracts/issuer-api.ts';

/** A client's id is used only when it is short and plain, so it cannot forge log structure or carry a secret's length. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
  'req.query',
  'req.url',
  'headers.authorization',
  'body',
  'otp',
  'pin',
  'csr',
  'device_code',
  'access_token',
  'sessionToken',
  'user_code',
];

export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** Fastify options for the logger: `stream` null → no logs (the kiosk's embedded issuer, most tests). */
export function loggerOptions(
  stream: Writable | null,
  level: LogLevel,
): Pick<FastifyServerOptions, 'logger' | 'genReqId' | 'logController'> {
  return {
    logger:
      stream === null
        ? false
        : {
            level,
            stream,
            base: { service: 'dck-issuer', pid: process.pid },
            redact: { paths: REDACT_PATHS, censor: '[redacted]' },
            // Only the fields named here are ever written for a request or an error.
            serializers: {
              req: (request: { method?: string; routeOptions?: { url?: string } }) => ({
                method: request.method,
                route: request.routeOptions?.url,
              }),
              err: (error: Error & { code?: unknown }) => ({
                type: error.name,
                code: typeof error.code === 'string' ? error.code : undefined,
                message: error.message.slice(0, 300),
                stack: (error.stack ?? '').slice(0, 2000),
              }),
            },
          },
    genReqId: requestIdOf,
    // Fastify's own two lines per request would log the raw URL; onResponse writes one safe line instead.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
  };
}
