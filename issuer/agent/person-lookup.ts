// An agent looks a person up: by name (in part), card UUID, FASC-N, card serial, derived certificate serial or e-mail
// address (whole, any case: the card certificate's, kept as cards.email at each sign-in). The
// answer lists each matching card with its derived credentials (device, state, expiry, renewal due), as
// admin/credential-report.ts describes them, and its enrollments still waiting for their phone (to re-issue). Bounded: the text is 2–128 printable characters (else `search-invalid`,
// audited), every value reaches SQL only as a bound parameter (a SQL-shaped string is just a name nobody has), at
// most MAX_PEOPLE cards and MAX_CREDENTIALS_PER_CARD credentials each. The directory's addresses (notifications/
// directory-lookup.ts) are not searched: the directory is asked by UUID or FASC-N only, never by address.
import type { AgentCredential, PersonRecord, WaitingEnrollment } from '../../contracts/agent-api.ts';
import { credentialReport } from '../admin/credential-report.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { isTypedText } from '../typed-text.ts';
import { renewalDueAt } from '../notifications/credential-status.ts';
import { checkedEmailAddress } from '../notifications/email-address.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { CardRecord, CardSearch, DerivedCredentialView } from '../storage/issuer-storage.ts';
import { authenticateAgent } from './agent-session.ts';
import { waitingEnrollmentsByCard } from './enrollment-queue.ts';

const MAX_PEOPLE = 50;
const SEARCH_LENGTH = { min: 2, max: 128 };
const MAX_CREDENTIALS_PER_CARD = 100;
const MAX_WAITING_PER_CARD = 20;
/** A UUID, or hex (FASC-N, serials) as people type it: colons and spaces dropped, lower case. */
const EXACT_FORM = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{2,100})$/;

/** The search the text asks for; null when it is not one a person would type (issuer/typed-text.ts). */
export function cardSearchOf(text: string): CardSearch | null {
  const name = text.trim();
  if (!isTypedText(name, SEARCH_LENGTH)) return null;
  const compact = name.replace(/[\s:]/g, '').toLowerCase();
  // Only a plain address is looked up as one (the rule for addresses the issuer writes, email-address.ts).
  const email = checkedEmailAddress(name)?.toLowerCase() ?? null;
  return { name, exact: EXACT_FORM.test(compact) ? compact : null, email };
}

function agentCredential(view: DerivedCredentialView, at: Date, thresholdPercent: number): AgentCredential {
  const report = credentialReport(view, at);
  return {
    serialNumberHex: report.serialNumberHex,
    state: report.state,
    revocationReason: report.revocationReason,
    issuedAt: report.issuedAt,
    notAfter: report.notAfter,
    renewalDueAt: new Date(renewalDueAt(view.notBefore, view.notAfter, thresholdPercent)).toISOString(),
    device: report.device,
  };
}

async function personRecord(
  ctx: IssuerContext,
  card: CardRecord,
  at: Date,
  waiting: ReadonlyMap<string, WaitingEnrollment[]>,
): Promise<PersonRecord> {
  const views = await ctx.storage.listDerivedCredentials({ cardId: card.id }, MAX_CREDENTIALS_PER_CARD);
  const threshold = (await ctx.tenant()).renewalThresholdPercent;
  return {
    cardId: card.id,
    name: card.commonName,
    uuid: card.uuid,
    fascnHex: card.fascnHex,
    cardSerialHex: card.serialNumberHex,
    cardNotAfter: new Date(card.notAfter).toISOString(),
    credentials: views.map((view) => agentCredential(view, at, threshold)),
    waitingEnrollments: (waiting.get(card.id) ?? []).slice(0, MAX_WAITING_PER_CARD),
  };
}

export async function lookUpPeople(
  ctx: IssuerContext,
  input: { token: string | null; query: string },
): Promise<RouteRuleResult<'agentPeople'>> {
  const caller = await authenticateAgent(ctx, input.token, 'read');
  if (!caller.ok) return caller;
  const agent = { sessionId: caller.value.session.id, agentCardId: caller.value.card.id };
  const search = cardSearchOf(input.query);
  // The refused text is not repeated in the audit: it may be anything, and the row only needs to say it was refused.
  if (search === null)
    return auditedRefusal(ctx, 'agent-lookup', 'search-invalid', { ...agent, length: input.query.length });
  const cards = await ctx.storage.searchCards(search, MAX_PEOPLE + 1);
  const at = ctx.now();
  const waiting = await waitingEnrollmentsByCard(ctx);
  const people = await Promise.all(cards.slice(0, MAX_PEOPLE).map((card) => personRecord(ctx, card, at, waiting)));
  await ctx.audit('agent-lookup', 'success', null, {
    ...agent,
    query: search.name,
    cards: people.length,
    cardIds: people.map((person) => person.cardId).join(' '),
  });
  return ok({ people, truncated: cards.length > MAX_PEOPLE });
}
