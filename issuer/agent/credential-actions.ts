// What an agent does to a person's derived credentials: suspend, resume, revoke (RFC 5280 reason + note), and
// "terminate everything for this person" (a leaver). The state changes are lifecycle/credential-state.ts's, with
// the agent as actor (its audit row names the agent's card, the reason and the note). An agent never acts on their
// own card's credentials. Under the tenant's four-eyes policy (`validateCancellation`) a revocation or termination
// becomes a request that another agent, an approver, decides (revocation-requests.ts).
import type { AgentRevocationOutcome } from '../../contracts/agent-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import {
  LifecycleError,
  checkNote,
  credentialState,
  normalizeSerial,
  resumeDerivedCredential,
  revokeAllForCard,
  revokeDerivedCredential,
  suspendDerivedCredential,
} from '../lifecycle/credential-state.ts';
import type { LifecycleActor, LifecycleDeps, LifecycleErrorCode } from '../lifecycle/credential-state.ts';
import { FINAL_REVOCATION_REASONS, isRevocationReason } from '../lifecycle/revocation-reason.ts';
import type { RevocationReason } from '../lifecycle/revocation-reason.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { newRecordId } from '../secrets.ts';
import type { CardRecord } from '../storage/issuer-storage.ts';
import { authenticateAgent, isSamePerson } from './agent-session.ts';
import type { AgentCaller } from './agent-session.ts';

/** The lifecycle's dependencies as the issuer runs them: a change regenerates the CRL at once. */
export function lifecycleDepsOf(ctx: IssuerContext): LifecycleDeps {
  return {
    storage: ctx.storage,
    now: ctx.now,
    notificationTypes: async () => (await ctx.tenant()).notificationTypes,
    afterRevocationChange: () => {
      ctx.crl.refresh().catch((error: unknown) => {
        process.emitWarning(`derived CRL not regenerated: ${String(error)}`);
      });
    },
  };
}

export const agentActor = (caller: AgentCaller): LifecycleActor => ({ kind: 'agent', id: caller.card.id });

/**
 * A LifecycleError with one of `codes` (the lifecycle audited it already) → the route's refusal; anything else is a
 * failure of the issuer, thrown on.
 */
export function lifecycleRefusal<C extends LifecycleErrorCode>(
  error: unknown,
  codes: readonly C[],
): { ok: false; error: { code: C; detail: string } } {
  const code = error instanceof LifecycleError ? codes.find((allowed) => allowed === error.code) : undefined;
  if (code === undefined || !(error instanceof LifecycleError)) throw error;
  return { ok: false, error: { code, detail: error.message } };
}

const CHANGE_REFUSALS = ['credential-unknown', 'credential-revoked', 'credential-expired', 'note-invalid'] as const;

/** A final RFC 5280 reason as typed, or null. */
export function finalReason(text: string): RevocationReason | null {
  return isRevocationReason(text) && text !== 'certificateHold' ? text : null;
}

const reasonDetail = `(one of ${FINAL_REVOCATION_REASONS.join(', ')})`;

/** The agent's note, checked as the lifecycle checks it; null when it is not acceptable. */
function acceptableNote(note: string): string | null {
  try {
    return checkNote(note);
  } catch {
    return null;
  }
}

/** The credential an agent may act on: known, and not on the agent's own card (audited when refused). */
async function targetCredential(ctx: IssuerContext, caller: AgentCaller, serial: string, event: string) {
  const details = { agentCardId: caller.card.id, sessionId: caller.session.id, serialNumberHex: serial };
  const view = await ctx.storage.findDerivedCredential(serial);
  if (view === null) return auditedRefusal(ctx, event, 'credential-unknown', details);
  if (isSamePerson(caller.card, view.card)) return auditedRefusal(ctx, event, 'agent-own-card', details);
  return ok(view);
}

export async function suspendOrResume(
  ctx: IssuerContext,
  wanted: 'suspend' | 'resume',
  input: { token: string | null; serialNumberHex: string; note: string },
): Promise<RouteRuleResult<'agentSuspendCredential' | 'agentResumeCredential'>> {
  const caller = await authenticateAgent(ctx, input.token, 'act');
  if (!caller.ok) return caller;
  const serial = normalizeSerial(input.serialNumberHex);
  const target = await targetCredential(ctx, caller.value, serial, `credential-${wanted}`);
  if (!target.ok) return target;
  const change = wanted === 'suspend' ? suspendDerivedCredential : resumeDerivedCredential;
  try {
    const before = await change(lifecycleDepsOf(ctx), serial, agentActor(caller.value), input.note);
    const after = credentialState({ ...before, status: wanted === 'suspend' ? 'suspended' : 'active' }, ctx.now());
    return ok({ serialNumberHex: serial, state: after });
  } catch (error: unknown) {
    return lifecycleRefusal(error, [...CHANGE_REFUSALS, 'credential-suspended', 'credential-not-suspended']);
  }
}

/** Four eyes: the revocation is recorded as a request for an approver (audited), nothing revoked yet. */
async function requestRevocation(
  ctx: IssuerContext,
  caller: AgentCaller,
  target: { kind: 'credential' | 'card'; id: string; card: Pick<CardRecord, 'id' | 'commonName'> },
  reason: RevocationReason,
  note: string,
): Promise<AgentRevocationOutcome> {
  const at = ctx.now().getTime();
  const id = newRecordId();
  await ctx.storage.insertRevocationRequest(
    {
      id,
      targetKind: target.kind,
      target: target.id,
      cardId: target.card.id,
      reason,
      note,
      requestedByCardId: caller.card.id,
      requestedAt: at,
      status: 'pending',
      decidedByCardId: null,
      decidedAt: null,
    },
    {
      at,
      event: 'agent-revocation-request',
      outcome: 'success',
      code: reason,
      details: {
        requestId: id,
        targetKind: target.kind,
        target: target.id,
        cardId: target.card.id,
        agentCardId: caller.card.id,
        sessionId: caller.session.id,
        note,
      },
    },
  );
  return { outcome: 'requested', revoked: [], requestId: id };
}

export async function revokeCredential(
  ctx: IssuerContext,
  input: { token: string | null; serialNumberHex: string; reason: string; note: string },
): Promise<RouteRuleResult<'agentRevokeCredential'>> {
  const caller = await authenticateAgent(ctx, input.token, 'act');
  if (!caller.ok) return caller;
  const serial = normalizeSerial(input.serialNumberHex);
  const target = await targetCredential(ctx, caller.value, serial, 'credential-revoke');
  if (!target.ok) return target;
  const reason = finalReason(input.reason);
  if (reason === null) return refuse('revocation-reason-invalid', { detail: reasonDetail });
  const note = acceptableNote(input.note);
  if (note === null) return refuse('note-invalid');
  if ((await ctx.tenant()).validateCancellation) {
    const state = credentialState(target.value, ctx.now());
    if (state === 'revoked') return refuse('credential-revoked');
    if (state === 'expired') return refuse('credential-expired');
    return ok(
      await requestRevocation(
        ctx,
        caller.value,
        { kind: 'credential', id: serial, card: target.value.card },
        reason,
        note,
      ),
    );
  }
  try {
    await revokeDerivedCredential(lifecycleDepsOf(ctx), serial, reason, agentActor(caller.value), note);
    return ok({ outcome: 'revoked', revoked: [serial], requestId: null });
  } catch (error: unknown) {
    return lifecycleRefusal(error, [...CHANGE_REFUSALS, 'revocation-reason-invalid']);
  }
}

/** A leaver: every live derived credential of the person's card, revoked (or, under four eyes, one request). */
export async function terminatePerson(
  ctx: IssuerContext,
  input: { token: string | null; cardId: string; reason: string; note: string },
): Promise<RouteRuleResult<'agentTerminatePerson'>> {
  const caller = await authenticateAgent(ctx, input.token, 'act');
  if (!caller.ok) return caller;
  const details = { agentCardId: caller.value.card.id, sessionId: caller.value.session.id, cardId: input.cardId };
  const card = await ctx.storage.findCard(input.cardId);
  if (card === null) return auditedRefusal(ctx, 'agent-terminate', 'card-unknown', details);
  if (isSamePerson(caller.value.card, card)) return auditedRefusal(ctx, 'agent-terminate', 'agent-own-card', details);
  const reason = finalReason(input.reason);
  if (reason === null) return refuse('revocation-reason-invalid', { detail: reasonDetail });
  const note = acceptableNote(input.note);
  if (note === null) return refuse('note-invalid');
  if ((await ctx.tenant()).validateCancellation)
    return ok(await requestRevocation(ctx, caller.value, { kind: 'card', id: card.id, card }, reason, note));
  const revoked = await revokeAllForCard(lifecycleDepsOf(ctx), card.id, reason, agentActor(caller.value), note);
  await ctx.audit('agent-terminate', 'success', reason, { ...details, note, revoked: revoked.length });
  return ok({ outcome: 'revoked', revoked, requestId: null });
}
