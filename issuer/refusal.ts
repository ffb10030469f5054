// What a rule function answers: a value, or a refusal naming one error code of the issuer's error table
// (contracts/issuer-errors.ts) plus the facts of this case. Rules know nothing of HTTP: the route layer turns a
// refusal into the code's status and sentence (issuer/http-errors.ts).
import type { AnyIssuerErrorCode } from '../contracts/issuer-errors.ts';
import { err, ok } from '../contracts/kiosk-api.ts';
import type { Result } from '../contracts/kiosk-api.ts';
import type { RouteName, RouteRefusalCode, RouteSuccess } from '../contracts/issuer-routes.ts';
import type { AuditEntryInput } from './storage/issuer-storage.ts';
import type { IssuerContext } from './issuer-context.ts';

export interface Refusal<C extends AnyIssuerErrorCode = AnyIssuerErrorCode> {
  readonly code: C;
  /** Facts of this case, appended to the code's sentence (never a secret: no OTP, PIN, token or key). */
  readonly detail?: string;
  /** `otp-wrong`, `user-code-unknown`: tries left before the enrollment burns or the session ends. */
  readonly attemptsLeft?: number;
  /** `rate-limited`, `ca-unavailable`: sent as Retry-After. */
  readonly retryAfterSeconds?: number;
  /** `authorization_pending` once a kiosk shows the phone: the number matching's number (OAuthError.match_number). */
  readonly matchNumber?: string;
}

export type RuleResult<T, C extends AnyIssuerErrorCode> = Result<T, Refusal<C>>;

/** The answer of route N's rule: its success body, or a refusal with one of the codes the route table lists for N. */
export type RouteRuleResult<N extends RouteName> = RuleResult<RouteSuccess<N>, RouteRefusalCode<N>>;

export { ok };

export function refuse<C extends AnyIssuerErrorCode>(
  code: C,
  facts: Omit<Refusal<C>, 'code'> = {},
): { readonly ok: false; readonly error: Refusal<C> } {
  return err({ code, ...facts });
}

/** A refusal that changes nothing but is audited (its own audit row): most refusals of the kiosk and phone steps. */
export async function auditedRefusal<C extends AnyIssuerErrorCode>(
  ctx: Pick<IssuerContext, 'audit'>,
  event: string,
  code: C,
  details: AuditEntryInput['details'],
  facts: Omit<Refusal<C>, 'code'> = {},
): Promise<{ readonly ok: false; readonly error: Refusal<C> }> {
  await ctx.audit(event, 'failure', code, details);
  return refuse(code, facts);
}
