// PostgreSQL side of the card monitor's storage (issuer/eligibility/); the twin of sqlite-eligibility.ts, same SQL.
import { DELAY_FIRST_CHECK_SQL, dueCardsSql, toPositional, unscheduleSql } from './due-cards-sql.ts';
import type { DueCardsKind, DueCardsQuery, EligibilityStorage, LinkedCard } from './issuer-storage.ts';
import { appendAuditRow } from './postgres-audit.ts';
import type { PostgresPool } from './postgres-connection.ts';
import { toDueCard, toEligibility } from './sqlite-eligibility.ts';
import { toCard } from './sqlite-storage.ts';

const KINDS: readonly DueCardsKind[] = ['action-pending', 'recheck', 'first-check'];
const DUE_CARDS = new Map(KINDS.map((kind) => [kind, toPositional(dueCardsSql(kind))]));
const UNSCHEDULE = unscheduleSql('= ANY(@cardIds::text[])');
const UNSCHEDULE_FIRST = toPositional(UNSCHEDULE.firstChecks);
const UNSCHEDULE_RECHECK = toPositional(UNSCHEDULE.rechecks);
const DELAY_FIRST_CHECK = toPositional(DELAY_FIRST_CHECK_SQL);

/** A statement's parameters in its `$n` order, from the named values. */
function valuesOf(names: readonly string[], named: Readonly<Record<string, unknown>>): unknown[] {
  return names.map((name) => {
    if (!(name in named)) throw new Error(`no value for @${name}`);
    return named[name];
  });
}

function dueCardsValues(query: DueCardsQuery): Record<string, unknown> {
  const { after, limit, at, dueBy } = query;
  return { afterTime: after.time, afterCard: after.cardId, limit, at, dueBy };
}

export function postgresEligibilityStorage(pool: PostgresPool): EligibilityStorage {
  return {
    listLinkedCards: (afterCardId, limit, at) =>
      pool.read(async (sql) =>
        (
          await sql.rows(
            `SELECT c.*, f.first_issued_at, e.card_id AS e_card_id, e.checked_at AS e_checked_at,
               e.verdict AS e_verdict, e.detail AS e_detail, e.next_check_at AS e_next_check_at,
               e.unknown_since AS e_unknown_since, e.action_done_at AS e_action_done_at
             FROM (SELECT card_id, MIN(issued_at) AS first_issued_at FROM derived_certificates
                   WHERE card_id > $1 AND not_after > $2 AND status <> 'revoked' GROUP BY card_id ORDER BY card_id LIMIT $3) f
             JOIN cards c ON c.id = f.card_id
             LEFT JOIN card_eligibility e ON e.card_id = f.card_id
             ORDER BY f.card_id`,
            [afterCardId, at, limit],
          )
        ).map((row): LinkedCard => ({
          card: toCard(row),
          firstIssuedAt: Number(row.first_issued_at),
          eligibility: toEligibility(row),
        })),
      ),
    listDueCards: (query) =>
      pool.read(async (sql) => {
        const statement = DUE_CARDS.get(query.kind);
        if (statement === undefined) throw new Error(`no due-card listing "${query.kind}"`);
        const rows = await sql.rows(statement.text, valuesOf(statement.names, dueCardsValues(query)));
        return rows.map((row) => toDueCard(row, toCard(row)));
      }),
    unscheduleUnlinkedCards: (cardIds, at) =>
      pool.transaction(async (sql) => {
        // A certificate being issued holds its generation's row FOR SHARE until it commits (postgres-lifecycle.ts
        // insertCredential): waiting for those rows here lets the statements below, each with a new snapshot, see
        // every certificate issued before; one issued after waits, and its trigger puts the card back.
        await sql.rows('SELECT generation FROM issuer_generations FOR UPDATE');
        const named = { cardIds: [...cardIds], at };
        const first = await sql.count(UNSCHEDULE_FIRST.text, valuesOf(UNSCHEDULE_FIRST.names, named));
        return first + (await sql.count(UNSCHEDULE_RECHECK.text, valuesOf(UNSCHEDULE_RECHECK.names, named)));
      }),
    delayFirstChecks: (entries) =>
      pool.transaction(async (sql) => {
        for (const entry of entries)
          await sql.count(DELAY_FIRST_CHECK.text, valuesOf(DELAY_FIRST_CHECK.names, { ...entry }));
      }),
    recordCardEligibility: (records, audit) =>
      pool.transaction(async (sql) => {
        for (const entry of records) {
          await sql.count(
            `INSERT INTO card_eligibility (card_id, checked_at, verdict, detail, next_check_at, unknown_since, action_done_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (card_id) DO UPDATE SET checked_at = excluded.checked_at, verdict = excluded.verdict,
               detail = excluded.detail, next_check_at = excluded.next_check_at, unknown_since = excluded.unknown_since,
               action_done_at = excluded.action_done_at`,
            [
              entry.cardId,
              entry.checkedAt,
              entry.verdict,
              entry.detail,
              entry.nextCheckAt,
              entry.unknownSince,
              entry.actionDoneAt,
            ],
          );
        }
        for (const entry of audit) await appendAuditRow(sql, entry);
      }),
    markCardEligibilityActionDone: (cardId, at, audit) =>
      pool.transaction(async (sql) => {
        await sql.count('UPDATE card_eligibility SET action_done_at = $1 WHERE card_id = $2', [at, cardId]);
        await appendAuditRow(sql, audit);
      }),
  };
}
