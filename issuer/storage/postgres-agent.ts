// The help-desk agent console's storage (AgentStorage, issue 13) on PostgreSQL: the same statements as
// sqlite-agent.ts, each change with its audit row in one transaction. Every change here is one conditional statement
// (a challenge used only if unused, a session renewed only while live, a request moved only from the state it was
// read in and only if no other agent claimed it, an affirmation only for the recorded key and only once), so two
// agents at once need no row read first: at READ COMMITTED the second UPDATE waits on the first's row lock, then
// re-checks its WHERE against what the first committed and touches nothing. The decisions that do read first
// (a credential's state) go through the lifecycle's methods, which read the credential FOR UPDATE themselves.
import type { AgentRole } from '../../contracts/agent-api.ts';
import type { AgentStorage, AuditEntryInput, CardRecord } from './issuer-storage.ts';
import { appendAuditRow, auditedChange, resolveAudit } from './postgres-audit.ts';
import type { PostgresPool, Sql } from './postgres-connection.ts';
import {
  PURGE_AGENT_SESSIONS,
  PURGE_REVOCATION_REQUESTS,
  toAgentSession,
  toGrant,
  toQueueRow,
  toRequest,
  toSupervision,
} from './sqlite-agent.ts';
import { likePattern } from './sqlite-lifecycle.ts';
import { toCard, toEnrollment } from './sqlite-storage.ts';

/** What postgres-storage.ts lends this module: the kiosk sign-in's card upsert (the id of the row that stays). */
export interface PostgresAgentTools {
  upsertCard: (sql: Sql, card: CardRecord) => Promise<string>;
}

const QUEUE_SELECT = `SELECT e.*, c.common_name AS person_name, COALESCE(e.kiosk_id, s.kiosk_id) AS queue_kiosk_id,
  d.device_platform AS queue_device_platform, d.device_model AS queue_device_model
  FROM enrollments e JOIN cards c ON c.id = e.card_id JOIN kiosk_sessions s ON s.id = e.kiosk_session_id
  JOIN device_authorizations d ON d.id = e.device_authorization_id
  WHERE (e.status = 'awaiting-phone' AND e.created_at > $1)
  OR (e.status = 'completed' AND e.completed_at >= $2)
  OR (e.status IN ('burned', 'card-revoked') AND e.created_at >= $2)
  ORDER BY e.created_at DESC, e.id LIMIT $3`;

// Every value is a bound parameter; LIKE's own wildcards in the typed text match themselves (likePattern).
const SEARCH_SELECT = `SELECT * FROM cards WHERE lower(common_name) LIKE $1 ESCAPE '\\'
  OR uuid = $2 OR fascn_hex = $2 OR serial_number_hex = $2 OR email = $4
  OR id IN (SELECT card_id FROM derived_certificates WHERE serial_number_hex = $2)
  ORDER BY common_name, id LIMIT $3`;

export function postgresAgentStorage(pool: PostgresPool, tools: PostgresAgentTools): AgentStorage {
  const { read } = pool;

  /** One conditional change of one row and, only if it matched, its audit row (postgres-audit.ts). */
  const changeAudited = (text: string, values: readonly unknown[], entry: AuditEntryInput): Promise<boolean> =>
    auditedChange(pool, text, values, entry);

  return {
    findAgentRoles: (identities) =>
      read(async (sql) => {
        const value = (kind: string) => identities.find((identity) => identity.kind === kind)?.value ?? null;
        const rows = await sql.rows(
          `SELECT DISTINCT role FROM agent_roles
          WHERE (identity_kind = 'uuid' AND identity_value = $1) OR (identity_kind = 'fascn' AND identity_value = $2)
          OR (identity_kind = 'subject' AND identity_value = $3) ORDER BY role`,
          [value('uuid'), value('fascn'), value('subject')],
        );
        return rows.map((row) => String(row.role) as AgentRole);
      }),
    listAgentRoles: () =>
      read(async (sql) =>
        (await sql.rows('SELECT * FROM agent_roles ORDER BY identity_kind, identity_value, role')).map(toGrant),
      ),
    grantAgentRole: (grant, entry) =>
      changeAudited(
        `INSERT INTO agent_roles (identity_kind, identity_value, role, granted_at, granted_by)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (identity_kind, identity_value, role) DO NOTHING`,
        [grant.kind, grant.value, grant.role, grant.grantedAt, grant.grantedBy],
        entry,
      ),
    withdrawAgentRole: (identity, role, entry) =>
      changeAudited(
        'DELETE FROM agent_roles WHERE identity_kind = $1 AND identity_value = $2 AND role = $3',
        [identity.kind, identity.value, role],
        entry,
      ),
    openAgentSession: (challengeId, at, card, session, entry) =>
      pool.transaction(async (sql) => {
        const consumed = await sql.count('UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL', [
          at,
          challengeId,
        ]);
        if (consumed !== 1) return null;
        const cardId = await tools.upsertCard(sql, card);
        await sql.count(
          `INSERT INTO agent_sessions (id, token_hash, card_id, created_at, idle_expires_at, expires_at, ended_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            session.id,
            session.tokenHash,
            cardId,
            session.createdAt,
            session.idleExpiresAt,
            session.expiresAt,
            session.endedAt,
          ],
        );
        await appendAuditRow(sql, resolveAudit(entry, cardId));
        return cardId;
      }),
    findAgentSessionByTokenHash: (hash) =>
      read(async (sql) => {
        const row = await sql.one('SELECT * FROM agent_sessions WHERE token_hash = $1', [hash]);
        return row === null ? null : toAgentSession(row);
      }),
    renewAgentSession: (id, at, idleExpiresAt) =>
      read(
        async (sql) =>
          (await sql.count(
            `UPDATE agent_sessions SET idle_expires_at = $1
            WHERE id = $2 AND ended_at IS NULL AND idle_expires_at > $3 AND expires_at > $3`,
            [idleExpiresAt, id, at],
          )) === 1,
      ),
    endAgentSession: (id, at, entry) =>
      changeAudited('UPDATE agent_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL', [at, id], entry),
    searchCards: (search, limit) =>
      read(async (sql) =>
        (await sql.rows(SEARCH_SELECT, [likePattern(search.name), search.exact, limit, search.email])).map(toCard),
      ),
    insertRevocationRequest: (request, entry) =>
      pool.transaction(async (sql) => {
        await sql.count(
          `INSERT INTO revocation_requests (id, target_kind, target, card_id, reason, note, requested_by_card_id,
          requested_at, status, decided_by_card_id, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            request.id,
            request.targetKind,
            request.target,
            request.cardId,
            request.reason,
            request.note,
            request.requestedByCardId,
            request.requestedAt,
            request.status,
            request.decidedByCardId,
            request.decidedAt,
          ],
        );
        await appendAuditRow(sql, entry);
      }),
    findRevocationRequest: (id) =>
      read(async (sql) => {
        const row = await sql.one('SELECT * FROM revocation_requests WHERE id = $1', [id]);
        return row === null ? null : toRequest(row);
      }),
    listRevocationRequests: (status, limit) =>
      read(async (sql) =>
        (
          await sql.rows('SELECT * FROM revocation_requests WHERE status = $1 ORDER BY requested_at, id LIMIT $2', [
            status,
            limit,
          ])
        ).map(toRequest),
      ),
    moveRevocationRequest: (id, move, entry) =>
      changeAudited(
        `UPDATE revocation_requests SET status = $1, decided_by_card_id = $2, decided_at = $3
        WHERE id = $4 AND status = $5 AND (decided_by_card_id IS NULL OR decided_by_card_id = $2)`,
        [move.to, move.byCardId, move.at, id, move.from],
        entry,
      ),
    purgeAgentRecords: (sessionsBefore, requestsBefore, limit, entry) =>
      pool.transaction(async (sql) => {
        const result = {
          agentSessions: await sql.count(PURGE_AGENT_SESSIONS, [sessionsBefore, limit]),
          revocationRequests: await sql.count(PURGE_REVOCATION_REQUESTS, [requestsBefore, limit]),
        };
        if (result.agentSessions + result.revocationRequests > 0)
          await appendAuditRow(sql, resolveAudit(entry, result));
        return result;
      }),
    listEnrollmentQueue: (since, doneSince, limit) =>
      read(async (sql) =>
        (await sql.rows(QUEUE_SELECT, [since, doneSince, limit])).map((row) => toQueueRow(row, toEnrollment)),
      ),
    findEnrollmentSupervision: (enrollmentId) =>
      read(async (sql) => {
        const row = await sql.one(
          `SELECT supervision_key_fingerprint, affirmed_fingerprint, affirmed_by_card_id, affirmed_at
          FROM enrollments WHERE id = $1`,
          [enrollmentId],
        );
        return row === null ? null : toSupervision(row);
      }),
    findSupervisedEnrollment: (enrollmentId) =>
      read(async (sql) => {
        const row = await sql.one('SELECT * FROM enrollments WHERE id = $1', [enrollmentId]);
        return row === null ? null : { enrollment: toEnrollment(row), supervision: toSupervision(row) };
      }),
    requestAffirmation: (id, fingerprint, entry) =>
      changeAudited(
        `UPDATE enrollments SET supervision_key_fingerprint = $1, affirmed_fingerprint = NULL,
        affirmed_by_card_id = NULL, affirmed_at = NULL WHERE id = $2 AND status = 'awaiting-phone'
        AND (supervision_key_fingerprint IS NULL OR supervision_key_fingerprint <> $1)`,
        [fingerprint, id],
        entry,
      ),
    affirmEnrollment: (id, affirmation, entry) =>
      changeAudited(
        `UPDATE enrollments SET affirmed_fingerprint = $1, affirmed_by_card_id = $2, affirmed_at = $3
        WHERE id = $4 AND status = 'awaiting-phone' AND supervision_key_fingerprint = $1 AND affirmed_at IS NULL`,
        [affirmation.fingerprint, affirmation.byCardId, affirmation.at, id],
        entry,
      ),
  };
}
