// The card monitor's due-card listings (issue 15), one SQL text for both stores (named `@` parameters; PostgreSQL
// numbers them, toPositional). Each kind pages through its own index of migration 15 by keyset — (key time, card id)
// strictly after the last page's — so a card checked on one page, whose next time moves past the bound, is neither
// met again nor makes the run skip another. Measured (bench/eligibility-monitor.ts --none-due, 1,000,000 linked
// cards none due): the walk of every linked card this replaces read all of them in 201 pages each tick.
import type { DueCardsKind } from './issuer-storage.ts';

/** A card with a derived certificate valid at @at (suspended counts: it may be resumed), as the walk counted them. */
const LIVE_CERTIFICATE = `d.not_after > @at AND d.status <> 'revoked'`;

const PAGE_KEYS: Record<DueCardsKind, string> = {
  // A revoked card whose policy failed or was never run, still linked (the walk met only linked cards).
  'action-pending': `SELECT p.card_id, 0 AS due_key FROM card_eligibility p
    WHERE p.verdict = 'revoked' AND p.action_done_at IS NULL AND p.card_id > @afterCard
      AND EXISTS (SELECT 1 FROM derived_certificates d WHERE d.card_id = p.card_id AND ${LIVE_CERTIFICATE})
    ORDER BY p.card_id LIMIT @limit`,
  recheck: `SELECT p.card_id, p.next_check_at AS due_key FROM card_eligibility p
    WHERE p.next_check_at <= @dueBy AND (p.next_check_at, p.card_id) > (@afterTime, @afterCard)
    ORDER BY p.next_check_at, p.card_id LIMIT @limit`,
  // The trigger deletes a card's entry when its first verdict is written; NOT EXISTS keeps a copied row set (a
  // restore, bench/issuer-prefill.ts) from having a card checked twice in one run.
  'first-check': `SELECT p.card_id, p.first_issued_at AS due_key FROM card_first_checks p
    WHERE p.first_issued_at <= @dueBy AND (p.first_issued_at, p.card_id) > (@afterTime, @afterCard)
      AND NOT EXISTS (SELECT 1 FROM card_eligibility e WHERE e.card_id = p.card_id)
    ORDER BY p.first_issued_at, p.card_id LIMIT @limit`,
};

/** One page of `kind`: the cards, their live first issue, their eligibility row (sqlite-eligibility.ts's aliases). */
export function dueCardsSql(kind: DueCardsKind): string {
  return `SELECT c.*, s.due_key,
      (SELECT MIN(d.issued_at) FROM derived_certificates d WHERE d.card_id = s.card_id AND ${LIVE_CERTIFICATE})
        AS first_issued_at,
      e.card_id AS e_card_id, e.checked_at AS e_checked_at, e.verdict AS e_verdict, e.detail AS e_detail,
      e.next_check_at AS e_next_check_at, e.unknown_since AS e_unknown_since, e.action_done_at AS e_action_done_at
    FROM (${PAGE_KEYS[kind]}) s
    JOIN cards c ON c.id = s.card_id
    LEFT JOIN card_eligibility e ON e.card_id = s.card_id
    ORDER BY s.due_key, s.card_id`;
}

/**
 * Takes the cards `inCardIds` names (each store's way of matching a list parameter `@cardIds`) off the schedule when
 * none has a certificate valid at `@at`, checked inside the write: a certificate issued since the monitor read the
 * card keeps it (on PostgreSQL only with its lock: postgres-eligibility.ts).
 */
export function unscheduleSql(inCardIds: string): { firstChecks: string; rechecks: string } {
  return {
    firstChecks: `DELETE FROM card_first_checks WHERE card_id ${inCardIds}
      AND NOT EXISTS (SELECT 1 FROM derived_certificates d
        WHERE d.card_id = card_first_checks.card_id AND ${LIVE_CERTIFICATE})`,
    rechecks: `UPDATE card_eligibility SET next_check_at = NULL WHERE card_id ${inCardIds} AND verdict <> 'revoked'
      AND NOT EXISTS (SELECT 1 FROM derived_certificates d
        WHERE d.card_id = card_eligibility.card_id AND ${LIVE_CERTIFICATE})`,
  };
}

/** storage.delayFirstChecks, one card. */
export const DELAY_FIRST_CHECK_SQL = `UPDATE card_first_checks SET first_issued_at = @firstIssuedAt
  WHERE card_id = @cardId AND first_issued_at < @firstIssuedAt`;

/** `@name` parameters → PostgreSQL's `$n`, numbered by first appearance; the names in that order. */
export function toPositional(text: string): { text: string; names: string[] } {
  const names: string[] = [];
  const positional = text.replace(/@(\w+)/g, (_match, name: string) => {
    if (!names.includes(name)) names.push(name);
    return `$${names.indexOf(name) + 1}`;
  });
  return { text: positional, names };
}
