// Error answers as data: a refusal's code → the status and sentence of the error table
// (contracts/issuer-errors.ts), in the body shape of the route (`{ error, message }`, or RFC 6749's for the OAuth
// endpoints). The only place that writes an error answer.
// Brings @fastify/swagger's route options into Fastify's types.
import type {} from '@fastify/swagger';
import type { FastifyReply } from 'fastify';
import { errorEntry, errorMessage, isOAuthErrorCode } from '../contracts/issuer-errors.ts';
import type { RouteSpec } from '../contracts/issuer-routes.ts';
import type { Refusal } from './refusal.ts';

/** IssuerError.message and OAuthError's texts are at most this long (contracts/issuer-api.ts). */
const MAX_MESSAGE_LENGTH = 1000;

/** The error code each error answer carried, for metrics and the request log (issuer/operations/). */
const answeredCodes = new WeakMap<FastifyReply, string>();

export function errorCodeOf(reply: FastifyReply): string | null {
  return answeredCodes.get(reply) ?? null;
}

export function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  const { code, detail, attemptsLeft, retryAfterSeconds, matchNumber } = refusal;
  answeredCodes.set(reply, code);
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  const message = errorMessage(code, detail).slice(0, MAX_MESSAGE_LENGTH);
  const body = isOAuthErrorCode(code)
    ? {
        error: code,
        error_description: message,
        message,
        ...(matchNumber === undefined ? {} : { match_number: matchNumber }),
      }
    : { error: code, message, ...(attemptsLeft === undefined ? {} : { attemptsLeft }) };
  return reply.code(errorEntry(code).status).header('cache-control', 'no-store').send(body);
}

/** 429 in the shape of the route that refused (null: no route matched, the issuer's shape). */
export function sendRateLimited(reply: FastifyReply, route: RouteSpec | null, retryAfterSeconds: number): FastifyReply {
  return sendRefusal(reply, {
    code: route?.errorShape === 'oauth' ? 'rate_limited' : 'rate-limited',
    retryAfterSeconds,
  });
}

/** `Authorization: Bearer <token>` → token, or null when absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length > 200) return null;
  const match = /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(header);
  return match?.[1] ?? null;
}
