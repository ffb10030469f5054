// An auditor reads the audit log at the console (issue 13, "Audit"): GET /agent/audit, for agents whose role allows
// `audit` (auditor, admin; every other role is refused, audited, by authenticateAgent). Filters: the agent (part of
// the name, or the card id), the action (event name), a target text the row's details contain, the outcome, a time
// window; newest first, a bounded page, and a cursor (`before`: the last row's sequence) for the next one.
//
// Hostile filters are refused with `audit-filter-invalid` (400) naming the filter, audited without its value (it may
// be anything); every value reaches SQL only as a bound parameter. Each search is itself audited: one row with the
// filters (bounded by these checks), the page's cursor and how many rows it answered.
//
// One search, one row, however many pages (an export of 100,000 rows is some 500 pages): each page answers a
// `nextCursor`, an HMAC with the server secret over the agent session, the filters and the next `before`. A page
// sent with a cursor that verifies continues a search already audited for this session, so it is not audited again;
// it is still authorised like any call (the session and the role, read now). A page without a cursor is a new search,
// audited; a cursor that does not verify (forged, another session's, another filter's, another page's) is refused
// as `audit-filter-invalid` (`cursor`), audited. So nothing a caller sends can hide a search from the audit.
import type { AuditRow, AuditSearchQuery } from '../../contracts/agent-api.ts';
import { AUDIT_FILTER_TEXT_MAX, AUDIT_OUTCOMES, AUDIT_PAGE_MAX } from '../../contracts/agent-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { isTypedText } from '../typed-text.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { AuditSearch, AuditSearchRow } from '../storage/issuer-storage.ts';
import { authenticateAgent } from './agent-session.ts';

export const AUDIT_PAGE_DEFAULT = 50;
const EVENT_NAME = /^[a-z][a-z0-9-]{0,63}$/;
/** A day (UTC), or a time in UTC: what the console sends, and what an auditor types at the command line. */
const DATE_OR_UTC_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?Z)?$/;
/** Details keys that name what an action was on, most specific first (the issuer's audit rows use these names). */
const TARGET_KEYS = ['serialNumberHex', 'enrollmentId', 'requestId', 'cardId', 'kiosk', 'setting', 'identity', 'query'];

type FilterName = keyof AuditSearchQuery;
type Parsed<T> = { ok: true; value: T } | { ok: false; filter: FilterName };

/** Free text a person types (issuer/typed-text.ts), trimmed, 1–128 characters; empty = not filtered. */
function filterText(value: string | undefined): string | null | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  return isTypedText(text, { min: 1, max: AUDIT_FILTER_TEXT_MAX }) ? text : undefined;
}

/** A day or UTC time → milliseconds; undefined when it is not a real calendar date and time (2026-02-30, 25:00). */
export function auditTime(text: string): number | undefined {
  const match = DATE_OR_UTC_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00'] = match;
  const at = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(at)) return undefined;
  // Date.parse rolls 2026-02-30 over into March: the parts must come back as they were typed.
  const back = new Date(at).toISOString();
  return back.startsWith(`${year}-${month}-${day}T${hour}:${minute}:${second}`) ? at : undefined;
}

/** The query → the storage's search, or the first filter that is not acceptable. */
export function auditSearchOf(query: AuditSearchQuery): Parsed<AuditSearch> {
  const agent = filterText(query.agent);
  if (agent === undefined) return { ok: false, filter: 'agent' };
  const target = filterText(query.target);
  if (target === undefined) return { ok: false, filter: 'target' };
  const event = query.action === undefined || query.action === '' ? null : query.action;
  if (event !== null && !EVENT_NAME.test(event)) return { ok: false, filter: 'action' };
  const outcome = query.outcome === undefined || query.outcome === '' ? null : query.outcome;
  const knownOutcome = AUDIT_OUTCOMES.find((candidate) => candidate === outcome) ?? null;
  if (outcome !== null && knownOutcome === null) return { ok: false, filter: 'outcome' };
  const fromAt = query.from === undefined || query.from === '' ? null : auditTime(query.from);
  if (fromAt === undefined) return { ok: false, filter: 'from' };
  const toAt = query.to === undefined || query.to === '' ? null : auditTime(query.to);
  if (toAt === undefined || (fromAt !== null && toAt !== null && toAt <= fromAt)) return { ok: false, filter: 'to' };
  if (query.cursor !== undefined && query.before === undefined) return { ok: false, filter: 'cursor' };
  return {
    ok: true,
    value: {
      agent,
      event,
      target,
      outcome: knownOutcome,
      fromAt,
      toAt,
      beforeSequence: query.before ?? null,
    },
  };
}

const detailText = (details: AuditSearchRow['details'], key: string): string | null => {
  const value = details[key];
  return value === undefined || value === null ? null : String(value);
};

/** The agent card a row names: `agentCardId`, or the lifecycle's `actor` of kind `agent` (as the storage joins it). */
function agentCardIdOf(details: AuditSearchRow['details']): string | null {
  const named = detailText(details, 'agentCardId');
  if (named !== null) return named;
  return details.actorKind === 'agent' ? detailText(details, 'actor') : null;
}

export function auditRowOf(row: AuditSearchRow): AuditRow {
  const agentCardId = agentCardIdOf(row.details);
  const targetKey = TARGET_KEYS.find((key) => detailText(row.details, key) !== null);
  return {
    sequence: row.sequence,
    at: new Date(row.at).toISOString(),
    action: row.event,
    outcome: row.outcome,
    code: row.code,
    agent: agentCardId === null ? null : { cardId: agentCardId, name: row.agentName },
    target: targetKey === undefined ? null : detailText(row.details, targetKey),
    note: detailText(row.details, 'note'),
    details: row.details,
    chain: row.chain === null ? null : { chainId: row.chain.chainId, position: row.chain.chainSequence },
  };
}

/** What a page cursor vouches for: this search (every filter) continued from `beforeSequence`. */
function cursorText(search: AuditSearch): string {
  const { agent, event, target, outcome, fromAt, toAt, beforeSequence } = search;
  return JSON.stringify([agent, event, target, outcome, fromAt, toAt, beforeSequence]);
}

/** True when `cursor` is the one this session's search was answered with for this page. */
function continuesSearch(ctx: IssuerContext, sessionId: string, search: AuditSearch, cursor: string): boolean {
  return ctx.codes.matches(cursor, 'audit-page', sessionId, cursorText(search));
}

export async function searchAuditLog(
  ctx: IssuerContext,
  input: { token: string | null; query: AuditSearchQuery },
): Promise<RouteRuleResult<'agentAudit'>> {
  const caller = await authenticateAgent(ctx, input.token, 'audit');
  if (!caller.ok) return caller;
  const agent = { sessionId: caller.value.session.id, agentCardId: caller.value.card.id };
  const search = auditSearchOf(input.query);
  if (!search.ok) {
    const length = String(input.query[search.filter] ?? '').length;
    return auditedRefusal(
      ctx,
      'agent-audit-search',
      'audit-filter-invalid',
      { ...agent, filter: search.filter, length },
      { detail: search.filter },
    );
  }
  const { cursor } = input.query;
  if (cursor !== undefined && !continuesSearch(ctx, agent.sessionId, search.value, cursor))
    return auditedRefusal(
      ctx,
      'agent-audit-search',
      'audit-filter-invalid',
      { ...agent, filter: 'cursor', length: cursor.length },
      { detail: 'cursor' },
    );
  const limit = Math.min(input.query.limit ?? AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX);
  const found = await ctx.storage.searchAudit(search.value, limit + 1);
  const rows = found.slice(0, limit).map(auditRowOf);
  const nextBefore = found.length > limit ? (rows.at(-1)?.sequence ?? null) : null;
  const nextCursor =
    nextBefore === null
      ? null
      : ctx.codes.hash('audit-page', agent.sessionId, cursorText({ ...search.value, beforeSequence: nextBefore }));
  // A later page of a search already audited for this session: authorised above, not a new search.
  if (cursor === undefined) await auditSearch(ctx, agent, search.value, rows.length);
  return ok({ rows, nextBefore, nextCursor });
}

async function auditSearch(
  ctx: IssuerContext,
  agent: { sessionId: string; agentCardId: string },
  search: AuditSearch,
  rowCount: number,
): Promise<void> {
  const { agent: agentFilter, event, target, outcome, fromAt, toAt, beforeSequence } = search;
  await ctx.audit('agent-audit-search', 'success', null, {
    ...agent,
    agent: agentFilter,
    action: event,
    target,
    outcome,
    from: fromAt === null ? null : new Date(fromAt).toISOString(),
    to: toAt === null ? null : new Date(toAt).toISOString(),
    before: beforeSequence,
    rows: rowCount,
  });
}
