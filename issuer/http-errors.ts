// Error answers as data: `{ error, message }` with the status that fits, for the issuer's own routes.
// Brings @fastify/swagger's route options into Fastify's types.
import type {} from '@fastify/swagger';
import type { FastifyReply } from 'fastify';
import type { IssuerErrorCode, OAuthErrorCode } from '../contracts/issuer-api.ts';

/** The error code each error answer carried, for metrics and the request log (issuer/operations/). */
const answeredCodes = new WeakMap<FastifyReply, string>();

export function errorCodeOf(reply: FastifyReply): string | null {
  return answeredCodes.get(reply) ?? null;
}

export function sendError(
  reply: FastifyReply, status: number, error: IssuerErrorCode, message: string, extra: { attemptsLeft?: number } = {},
): FastifyReply {
  answeredCodes.set(reply, error);
  return reply.code(status).header('cache-control', 'no-store').send({ error, message, ...extra });
}

/** RFC 6749 §5.2 error body (plus `message`, the project-wide field, and the number-matching extension). */
export function sendOAuthError(
  reply: FastifyReply, status: number, error: OAuthErrorCode, description: string, extra: { match_number?: string } = {},
): FastifyReply {
  answeredCodes.set(reply, error);
  return reply.code(status).header('cache-control', 'no-store')
    .send({ error, error_description: description, message: description, ...extra });
}

/** 429 in the shape of the route that refused: RFC 6749 error for the OAuth endpoints, `{ error, message }` else. */
export function sendRateLimited(reply: FastifyReply, oauth: boolean, retryAfterSeconds: number): FastifyReply {
  reply.header('retry-after', String(retryAfterSeconds));
  return oauth ? sendOAuthError(reply, 429, 'rate_limited', 'Too many requests: slow down.')
    : sendError(reply, 429, 'rate-limited', 'Too many attempts: wait a minute and try again.');
}

/** `Authorization: Bearer <token>` → token, or null when absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length > 200) return null;
  const match = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header);
  return match?.[1] ?? null;
}
