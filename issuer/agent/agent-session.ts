// An agent signs in at the console with their own PIV card, through the kiosk's PKI-AUTH (a challenge from
// POST /pki-auth/challenge, the card's signature, verify-card-authentication.ts: pki-auth/sign-in-with-card.ts's
// verifyChallengeAnswer), and gets a short agent session token. Only its SHA-256 is stored. The session dies after
// `agentConsole.sessionIdleSeconds` without a call (each accepted call renews it), at `sessionMaxSeconds`, or at
// sign-out (the console signs out when the card leaves the reader). Every call checks the roles again.
import type { AgentRole } from '../../contracts/agent-api.ts';
import type { ChallengeAnswer } from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { cardRecordOf, verifyChallengeAnswer } from '../pki-auth/sign-in-with-card.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult, RuleResult } from '../refusal.ts';
import { hashToken, newOpaqueToken, newRecordId } from '../secrets.ts';
import type { AgentSessionRecord, CardRecord } from '../storage/issuer-storage.ts';
import { mayTake, rolesOfCard } from './agent-roles.ts';
import type { AgentAction } from './agent-roles.ts';

export async function signInAgent(
  ctx: IssuerContext,
  input: { answer: ChallengeAnswer; ip: string },
): Promise<RouteRuleResult<'agentSignIn'>> {
  const verified = await verifyChallengeAnswer(ctx, 'agent-sign-in', input);
  if (!verified.ok) return verified;
  const { identity } = verified.value;
  const { challengeId } = input.answer;
  const card = cardRecordOf(identity);
  const roles = await rolesOfCard(ctx.storage, card);
  const now = ctx.now().getTime();
  const cardDetails = {
    challengeId,
    cardIssuer: identity.issuerDn,
    cardSerial: identity.serialNumberHex,
    uuid: identity.uuid,
    fascnHex: identity.fascnHex,
    ip: input.ip,
  };
  if (roles.length === 0) {
    // A person's card, or an agent whose roles were withdrawn: the challenge is used up with the refusal's row.
    const consumed = await ctx.storage.consumeChallenge(
      challengeId,
      now,
      auditEntry(ctx, 'agent-sign-in', 'failure', 'agent-role-missing', cardDetails),
    );
    if (!consumed) return auditedRefusal(ctx, 'agent-sign-in', 'challenge-used', cardDetails);
    return refuse('agent-role-missing');
  }
  const { sessionIdleSeconds, sessionMaxSeconds } = ctx.config.agentConsole;
  const sessionToken = newOpaqueToken();
  const sessionId = newRecordId();
  const cardId = await ctx.storage.openAgentSession(
    challengeId,
    now,
    card,
    {
      id: sessionId,
      tokenHash: hashToken(sessionToken),
      createdAt: now,
      idleExpiresAt: now + Math.min(sessionIdleSeconds, sessionMaxSeconds) * 1000,
      expiresAt: now + sessionMaxSeconds * 1000,
      endedAt: null,
    },
    (storedCardId) =>
      auditEntry(ctx, 'agent-sign-in', 'success', null, {
        ...cardDetails,
        sessionId,
        cardId: storedCardId,
        // The agent is the card that signs in: named as every other agent row names its agent (the audit's filter).
        agentCardId: storedCardId,
        roles: roles.join(' '),
      }),
  );
  if (cardId === null) return auditedRefusal(ctx, 'agent-sign-in', 'challenge-used', cardDetails);
  return ok({ sessionToken, expiresIn: sessionIdleSeconds, agent: { name: identity.commonName, roles } });
}

/** A signed-in agent whose roles allow the action at hand (read again for this call). */
export interface AgentCaller {
  session: AgentSessionRecord;
  card: CardRecord;
  roles: AgentRole[];
}

/** The live session a token names, or null: unknown (forged), signed out, idle too long, or past its end. */
async function liveSession(ctx: Pick<IssuerContext, 'storage' | 'now'>, token: string | null) {
  if (token === null) return null;
  const session = await ctx.storage.findAgentSessionByTokenHash(hashToken(token));
  const now = ctx.now().getTime();
  if (session === null || session.endedAt !== null) return null;
  return session.idleExpiresAt > now && session.expiresAt > now ? session : null;
}

/**
 * Every agent route's first step: the token's session is live, its card still holds a role that allows `action`
 * (read from the tenant's roles now, not at sign-in), and the call renews the session's idle time. `renew: false`:
 * a check that is not the agent's activity (the queue stream's periodic re-check), so it does not keep a session
 * alive.
 */
export async function authenticateAgent(
  ctx: IssuerContext,
  token: string | null,
  action: AgentAction,
  options: { renew: boolean } = { renew: true },
): Promise<RuleResult<AgentCaller, 'agent-session-invalid' | 'agent-forbidden'>> {
  const session = await liveSession(ctx, token);
  if (session === null) return refuse('agent-session-invalid');
  const card = await ctx.storage.findCard(session.cardId);
  if (card === null) return refuse('agent-session-invalid');
  const roles = await rolesOfCard(ctx.storage, card);
  if (!mayTake(roles, action)) {
    return auditedRefusal(ctx, 'agent-forbidden', 'agent-forbidden', {
      sessionId: session.id,
      agentCardId: card.id,
      action,
      roles: roles.join(' '),
    });
  }
  if (!options.renew) return ok({ session, card, roles });
  const now = ctx.now().getTime();
  const idleExpiresAt = Math.min(now + ctx.config.agentConsole.sessionIdleSeconds * 1000, session.expiresAt);
  // A sign-out between the read above and here wins: the call is refused as the session's end.
  if (!(await ctx.storage.renewAgentSession(session.id, now, idleExpiresAt))) return refuse('agent-session-invalid');
  return ok({ session: { ...session, idleExpiresAt }, card, roles });
}

/** Ends the session (the console's sign-out, or the agent's card leaving the reader). */
export async function signOutAgent(ctx: IssuerContext, token: string | null): Promise<RouteRuleResult<'agentSignOut'>> {
  const session = await liveSession(ctx, token);
  if (session === null) return refuse('agent-session-invalid');
  const ended = await ctx.storage.endAgentSession(
    session.id,
    ctx.now().getTime(),
    auditEntry(ctx, 'agent-sign-out', 'success', null, { sessionId: session.id, agentCardId: session.cardId }),
  );
  return ended ? ok(null) : refuse('agent-session-invalid');
}

/** The same person: the same card, or another card with the same UUID or FASC-N (an agent never acts on their own). */
export function isSamePerson(
  a: Pick<CardRecord, 'id' | 'uuid' | 'fascnHex'>,
  b: Pick<CardRecord, 'id' | 'uuid' | 'fascnHex'>,
): boolean {
  if (a.id === b.id) return true;
  if (a.uuid !== null && b.uuid !== null && a.uuid.toLowerCase() === b.uuid.toLowerCase()) return true;
  return a.fascnHex !== null && b.fascnHex !== null && a.fascnHex.toLowerCase() === b.fascnHex.toLowerCase();
}
