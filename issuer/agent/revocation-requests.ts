// Four eyes (tenant setting `validateCancellation`, MyID's "Validate Cancellation"): an agent's revocation waits
// as a request until another agent, an approver, decides it. The requester, the approver and the subject are three
// different people (isSamePerson: card, UUID or FASC-N). Approving claims the request first (pending → approving,
// a conditional update), so two approvers, or an approver and a rejecter, acting at once end with one winner and a
// 409 for the other; the revocation then runs through the lifecycle and the request becomes approved. A process that
// dies between the claim and the end leaves the request `approving` for the same approver to approve again (the
// revocation is idempotent: an already revoked credential counts as done).
import type { RevocationRequestView } from '../../contracts/agent-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { LifecycleError, checkNote, revokeAllForCard, revokeDerivedCredential } from '../lifecycle/credential-state.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { RevocationRequestRecord } from '../storage/issuer-storage.ts';
import { authenticateAgent, isSamePerson } from './agent-session.ts';
import type { AgentCaller } from './agent-session.ts';
import { agentActor, lifecycleDepsOf } from './credential-actions.ts';

const MAX_LISTED = 200;

async function requestView(ctx: IssuerContext, request: RevocationRequestRecord): Promise<RevocationRequestView> {
  const [person, requester] = await Promise.all([
    ctx.storage.findCard(request.cardId),
    ctx.storage.findCard(request.requestedByCardId),
  ]);
  return {
    requestId: request.id,
    target: { kind: request.targetKind, id: request.target },
    personName: person?.commonName ?? '',
    reason: request.reason,
    note: request.note,
    requestedBy: requester?.commonName ?? request.requestedByCardId,
    requestedAt: new Date(request.requestedAt).toISOString(),
    status: request.status,
  };
}

export async function listRevocationRequests(
  ctx: IssuerContext,
  token: string | null,
): Promise<RouteRuleResult<'agentRevocationRequests'>> {
  const caller = await authenticateAgent(ctx, token, 'read');
  if (!caller.ok) return caller;
  const pending = await ctx.storage.listRevocationRequests('pending', MAX_LISTED);
  return ok({ requests: await Promise.all(pending.map((request) => requestView(ctx, request))) });
}

type DecisionCode =
  | 'revocation-request-unknown'
  | 'revocation-request-decided'
  | 'agent-same-requester'
  | 'agent-own-card'
  | 'note-invalid';

/** The checks of both decisions: a known request, still open to this approver, about someone else, by someone else. */
async function decidable(
  ctx: IssuerContext,
  caller: AgentCaller,
  requestId: string,
  note: string,
  event: string,
): Promise<{ ok: true; value: RevocationRequestRecord } | { ok: false; error: { code: DecisionCode } }> {
  const details = { requestId, agentCardId: caller.card.id, sessionId: caller.session.id };
  const request = await ctx.storage.findRevocationRequest(requestId);
  if (request === null) return auditedRefusal(ctx, event, 'revocation-request-unknown', details);
  const resumable = request.status === 'approving' && request.decidedByCardId === caller.card.id;
  if (request.status !== 'pending' && !resumable)
    return auditedRefusal(ctx, event, 'revocation-request-decided', details);
  const [requester, subject] = await Promise.all([
    ctx.storage.findCard(request.requestedByCardId),
    ctx.storage.findCard(request.cardId),
  ]);
  if (requester === null || isSamePerson(caller.card, requester))
    return auditedRefusal(ctx, event, 'agent-same-requester', details);
  if (subject === null || isSamePerson(caller.card, subject))
    return auditedRefusal(ctx, event, 'agent-own-card', details);
  try {
    checkNote(note);
  } catch {
    return refuse('note-invalid');
  }
  return ok(request);
}

/** The request's revocation, through the lifecycle; an already revoked or expired credential counts as done. */
async function carryOut(ctx: IssuerContext, caller: AgentCaller, request: RevocationRequestRecord): Promise<string[]> {
  const deps = lifecycleDepsOf(ctx);
  const note = `four-eyes request ${request.id}`;
  if (request.targetKind === 'card')
    return revokeAllForCard(deps, request.target, request.reason, agentActor(caller), note);
  try {
    await revokeDerivedCredential(deps, request.target, request.reason, agentActor(caller), note);
    return [request.target];
  } catch (error: unknown) {
    const done = error instanceof LifecycleError && ['credential-revoked', 'credential-expired'].includes(error.code);
    if (done) return [];
    throw error;
  }
}

export async function approveRevocation(
  ctx: IssuerContext,
  input: { token: string | null; requestId: string; note: string },
): Promise<RouteRuleResult<'agentApproveRevocation'>> {
  const caller = await authenticateAgent(ctx, input.token, 'approve');
  if (!caller.ok) return caller;
  const found = await decidable(ctx, caller.value, input.requestId, input.note, 'agent-revocation-approve');
  if (!found.ok) return found;
  const request = found.value;
  const at = () => ctx.now().getTime();
  const details = {
    requestId: request.id,
    agentCardId: caller.value.card.id,
    requestedByCardId: request.requestedByCardId,
    targetKind: request.targetKind,
    target: request.target,
    note: input.note,
  };
  if (request.status === 'pending') {
    const claimed = await ctx.storage.moveRevocationRequest(
      request.id,
      { from: 'pending', to: 'approving', byCardId: caller.value.card.id, at: at() },
      { at: at(), event: 'agent-revocation-approve', outcome: 'success', code: 'claimed', details },
    );
    if (!claimed) return auditedRefusal(ctx, 'agent-revocation-approve', 'revocation-request-decided', details);
  }
  const revoked = await carryOut(ctx, caller.value, request);
  await ctx.storage.moveRevocationRequest(
    request.id,
    { from: 'approving', to: 'approved', byCardId: caller.value.card.id, at: at() },
    {
      at: at(),
      event: 'agent-revocation-approve',
      outcome: 'success',
      code: request.reason,
      details: { ...details, revoked: revoked.length },
    },
  );
  return ok({ outcome: 'revoked', revoked, requestId: request.id });
}

export async function rejectRevocation(
  ctx: IssuerContext,
  input: { token: string | null; requestId: string; note: string },
): Promise<RouteRuleResult<'agentRejectRevocation'>> {
  const caller = await authenticateAgent(ctx, input.token, 'approve');
  if (!caller.ok) return caller;
  const found = await decidable(ctx, caller.value, input.requestId, input.note, 'agent-revocation-reject');
  if (!found.ok) return found;
  const at = ctx.now().getTime();
  const details = { requestId: input.requestId, agentCardId: caller.value.card.id, note: input.note };
  const rejected = await ctx.storage.moveRevocationRequest(
    input.requestId,
    { from: 'pending', to: 'rejected', byCardId: caller.value.card.id, at },
    { at, event: 'agent-revocation-reject', outcome: 'success', code: null, details },
  );
  if (!rejected) return auditedRefusal(ctx, 'agent-revocation-reject', 'revocation-request-decided', details);
  return ok(null);
}
