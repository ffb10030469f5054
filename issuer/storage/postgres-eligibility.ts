// PostgreSQL side of the card monitor's storage (issuer/eligibility/); the twin of sqlite-eligibility.ts, same SQL.
import type { IssuerStorage, LinkedCard } from './issuer-storage.ts';
import { appendAuditRow } from './postgres-audit.ts';
import type { PostgresPool } from './postgres-connection.ts';
import { toEligibility } from './sqlite-eligibility.ts';
import { toCard } from './sqlite-storage.ts';

type EligibilityStorage = Pick<
  IssuerStorage,
  'listLinkedCards' | 'recordCardEligibility' | 'markCardEligibilityActionDone'
>;

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
