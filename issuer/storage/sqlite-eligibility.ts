// SQLite side of the card monitor's storage (issuer/eligibility/): the linked cards, page by page, the due ones by
// index (due-cards-sql.ts), and their eligibility rows. Kept apart from sqlite-storage.ts (one entity per file); the SQL is portable (PostgreSQL: the
// GROUP BY is in a subquery over one table, the upsert is ON CONFLICT … DO UPDATE).
import type Database from 'better-sqlite3';
import type {
  AuditEntryInput,
  CardEligibilityRecord,
  CardRecord,
  DueCard,
  DueCardsKind,
  EligibilityStorage,
  FirstCheckEntry,
  LinkedCard,
} from './issuer-storage.ts';
import { DELAY_FIRST_CHECK_SQL, dueCardsSql, unscheduleSql } from './due-cards-sql.ts';

type Row = Record<string, unknown>;
export interface SqliteHelpers {
  run<T>(attempt: () => T): Promise<T>;
  runWrite<T>(attempt: () => T): Promise<T>;
  audit(entry: AuditEntryInput): void;
  toCard(row: Row): CardRecord;
}

const numOrNull = (row: Row, key: string): number | null =>
  row[key] === null || row[key] === undefined ? null : Number(row[key]);
const text = (row: Row, key: string): string => {
  const value = row[key];
  return typeof value === 'string' ? value : '';
};

export function toEligibility(row: Row): CardEligibilityRecord | null {
  if (typeof row.e_card_id !== 'string') return null;
  return {
    cardId: row.e_card_id,
    checkedAt: Number(row.e_checked_at),
    verdict: text(row, 'e_verdict') as CardEligibilityRecord['verdict'],
    detail: text(row, 'e_detail'),
    nextCheckAt: numOrNull(row, 'e_next_check_at'),
    unknownSince: numOrNull(row, 'e_unknown_since'),
    actionDoneAt: numOrNull(row, 'e_action_done_at'),
  };
}

/** A due-card listing's row (due-cards-sql.ts) as the monitor reads it; shared with the PostgreSQL store. */
export function toDueCard(row: Row, card: CardRecord): DueCard {
  return {
    card,
    firstIssuedAt: numOrNull(row, 'first_issued_at'),
    eligibility: toEligibility(row),
    key: { time: Number(row.due_key), cardId: card.id },
  };
}

export function sqliteEligibilityStorage(db: Database.Database, helpers: SqliteHelpers): EligibilityStorage {
  const linked = db.prepare(`SELECT c.*, f.first_issued_at, e.card_id AS e_card_id, e.checked_at AS e_checked_at,
      e.verdict AS e_verdict, e.detail AS e_detail, e.next_check_at AS e_next_check_at, e.unknown_since AS e_unknown_since,
      e.action_done_at AS e_action_done_at
    FROM (SELECT card_id, MIN(issued_at) AS first_issued_at FROM derived_certificates
          WHERE card_id > @after AND not_after > @at AND status <> 'revoked' GROUP BY card_id ORDER BY card_id LIMIT @limit) f
    JOIN cards c ON c.id = f.card_id
    LEFT JOIN card_eligibility e ON e.card_id = f.card_id
    ORDER BY f.card_id`);
  const upsert =
    db.prepare(`INSERT INTO card_eligibility (card_id, checked_at, verdict, detail, next_check_at, unknown_since, action_done_at)
    VALUES (@cardId, @checkedAt, @verdict, @detail, @nextCheckAt, @unknownSince, @actionDoneAt)
    ON CONFLICT (card_id) DO UPDATE SET checked_at = excluded.checked_at, verdict = excluded.verdict, detail = excluded.detail,
      next_check_at = excluded.next_check_at, unknown_since = excluded.unknown_since, action_done_at = excluded.action_done_at`);
  const actionDone = db.prepare('UPDATE card_eligibility SET action_done_at = ? WHERE card_id = ?');
  const kinds: readonly DueCardsKind[] = ['action-pending', 'recheck', 'first-check'];
  const due = new Map(kinds.map((kind) => [kind, db.prepare(dueCardsSql(kind))]));
  const unschedule = unscheduleSql('IN (SELECT value FROM json_each(@cardIds))');
  const unscheduleFirst = db.prepare(unschedule.firstChecks);
  const unscheduleRecheck = db.prepare(unschedule.rechecks);
  const delayFirstCheck = db.prepare(DELAY_FIRST_CHECK_SQL);
  const delayFirstChecks = db.transaction((entries: readonly FirstCheckEntry[]) => {
    for (const entry of entries) delayFirstCheck.run(entry);
  });
  const unscheduleBoth = db.transaction(
    (cardIds: string, at: number) =>
      unscheduleFirst.run({ cardIds, at }).changes + unscheduleRecheck.run({ cardIds, at }).changes,
  );

  const record = db.transaction((records: readonly CardEligibilityRecord[], audit: readonly AuditEntryInput[]) => {
    for (const entry of records) upsert.run(entry);
    for (const entry of audit) helpers.audit(entry);
  });
  const markDone = db.transaction((cardId: string, at: number, audit: AuditEntryInput) => {
    actionDone.run(at, cardId);
    helpers.audit(audit);
  });

  return {
    listLinkedCards: (afterCardId, limit, at) =>
      helpers.run(() =>
        (linked.all({ after: afterCardId, at, limit }) as Row[]).map((row): LinkedCard => ({
          card: helpers.toCard(row),
          firstIssuedAt: Number(row.first_issued_at),
          eligibility: toEligibility(row),
        })),
      ),
    listDueCards: ({ kind, after, limit, at, dueBy }) =>
      helpers.run(() => {
        const statement = due.get(kind);
        if (statement === undefined) throw new Error(`no due-card listing "${kind}"`);
        const rows = statement.all({ afterTime: after.time, afterCard: after.cardId, limit, at, dueBy }) as Row[];
        return rows.map((row) => toDueCard(row, helpers.toCard(row)));
      }),
    unscheduleUnlinkedCards: (cardIds, at) =>
      helpers.runWrite(() => unscheduleBoth.immediate(JSON.stringify(cardIds), at)),
    delayFirstChecks: (entries) =>
      helpers.runWrite(() => {
        delayFirstChecks.immediate(entries);
      }),
    recordCardEligibility: (records, audit) =>
      helpers.runWrite(() => {
        record.immediate(records, audit);
      }),
    markCardEligibilityActionDone: (cardId, at, audit) =>
      helpers.runWrite(() => {
        markDone.immediate(cardId, at, audit);
      }),
  };
}
