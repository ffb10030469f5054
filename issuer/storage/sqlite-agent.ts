// SQLite side of the help-desk agent console's storage (issuer/agent/): role assignments, agent sessions, four-eyes
// revocation requests, person search and the live queue. Kept apart from sqlite-storage.ts (one entity per file);
// every change is a conditional statement with its audit row in one BEGIN IMMEDIATE transaction, and the SQL is
// portable (the PostgreSQL adapter makes the same statements).
import type Database from 'better-sqlite3';
import type { AgentRole } from '../../contracts/agent-api.ts';
import type { RevocationReason } from '../lifecycle/revocation-reason.ts';
import type {
  AgentPurgeResult,
  AgentRoleGrant,
  AgentSessionRecord,
  AgentStorage,
  AuditEntryInput,
  AuditFor,
  CardRecord,
  EnrollmentRecord,
  EnrollmentSupervision,
  QueueRow,
  RevocationRequestRecord,
} from './issuer-storage.ts';
import { likePattern } from './sqlite-lifecycle.ts';

type Row = Record<string, unknown>;

/** Ended agent sessions (signed out, idle or past their cap) before $1, at most $2: both adapters run it. */
export const PURGE_AGENT_SESSIONS = `DELETE FROM agent_sessions WHERE id IN (SELECT id FROM agent_sessions
  WHERE (ended_at IS NOT NULL AND ended_at < $1) OR expires_at < $1 OR idle_expires_at < $1 LIMIT $2)`;
/** Decided four-eyes requests (approved, rejected) decided before $1, at most $2; pending and approving stay. */
export const PURGE_REVOCATION_REQUESTS = `DELETE FROM revocation_requests WHERE id IN (SELECT id FROM revocation_requests
  WHERE status IN ('approved', 'rejected') AND decided_at < $1 LIMIT $2)`;

/** What sqlite-storage.ts lends this module: its transaction, retry and audit helpers, and its row readers. */
export interface SqliteAgentTools {
  write: <A extends unknown[], R>(work: (...args: A) => R) => (...args: A) => R;
  run: <T>(attempt: () => T) => Promise<T>;
  runWrite: <T>(attempt: () => T) => Promise<T>;
  audit: (entry: AuditEntryInput) => void;
  toCard: (row: Row) => CardRecord;
  toEnrollment: (row: Row) => EnrollmentRecord;
  /** Marks a challenge used, only if unused (the kiosk sign-in's statement). */
  consumeChallenge: (id: string, at: number) => boolean;
  /** Inserts or refreshes a card (the kiosk sign-in's upsert); the id of the row that stays. */
  upsertCard: (card: CardRecord) => string;
}

const text = (row: Row, key: string): string => {
  const value = row[key];
  return typeof value === 'string' ? value : '';
};
const textOrNull = (row: Row, key: string): string | null => (typeof row[key] === 'string' ? row[key] : null);
const numOrNull = (row: Row, key: string): number | null =>
  row[key] === null || row[key] === undefined ? null : Number(row[key]);

export function toAgentSession(row: Row): AgentSessionRecord {
  return {
    id: text(row, 'id'),
    tokenHash: text(row, 'token_hash'),
    cardId: text(row, 'card_id'),
    createdAt: Number(row.created_at),
    idleExpiresAt: Number(row.idle_expires_at),
    expiresAt: Number(row.expires_at),
    endedAt: numOrNull(row, 'ended_at'),
  };
}

export function toRequest(row: Row): RevocationRequestRecord {
  return {
    id: text(row, 'id'),
    targetKind: text(row, 'target_kind') as RevocationRequestRecord['targetKind'],
    target: text(row, 'target'),
    cardId: text(row, 'card_id'),
    reason: text(row, 'reason') as RevocationReason,
    note: text(row, 'note'),
    requestedByCardId: text(row, 'requested_by_card_id'),
    requestedAt: Number(row.requested_at),
    status: text(row, 'status') as RevocationRequestRecord['status'],
    decidedByCardId: textOrNull(row, 'decided_by_card_id'),
    decidedAt: numOrNull(row, 'decided_at'),
  };
}

export function toSupervision(row: Row): EnrollmentSupervision {
  return {
    keyFingerprint: textOrNull(row, 'supervision_key_fingerprint'),
    affirmedFingerprint: textOrNull(row, 'affirmed_fingerprint'),
    affirmedByCardId: textOrNull(row, 'affirmed_by_card_id'),
    affirmedAt: numOrNull(row, 'affirmed_at'),
  };
}

/** A row of the live queue's statement (its extra columns named queue_*; the same on both stores). */
export function toQueueRow(row: Row, toEnrollment: (row: Row) => EnrollmentRecord): QueueRow {
  return {
    enrollment: toEnrollment(row),
    personName: text(row, 'person_name'),
    kioskId: textOrNull(row, 'queue_kiosk_id'),
    device: {
      platform: textOrNull(row, 'queue_device_platform'),
      model: textOrNull(row, 'queue_device_model'),
    },
    supervision: toSupervision(row),
  };
}

export function toGrant(row: Row): AgentRoleGrant {
  return {
    kind: text(row, 'identity_kind') as AgentRoleGrant['kind'],
    value: text(row, 'identity_value'),
    role: text(row, 'role') as AgentRole,
    grantedAt: Number(row.granted_at),
    grantedBy: text(row, 'granted_by'),
  };
}

function prepare(db: Database.Database) {
  return {
    rolesOf: db.prepare(`SELECT DISTINCT role FROM agent_roles
      WHERE (identity_kind = 'uuid' AND identity_value = @uuid) OR (identity_kind = 'fascn' AND identity_value = @fascn)
      OR (identity_kind = 'subject' AND identity_value = @subject) ORDER BY role`),
    listRoles: db.prepare('SELECT * FROM agent_roles ORDER BY identity_kind, identity_value, role'),
    grant: db.prepare(`INSERT INTO agent_roles (identity_kind, identity_value, role, granted_at, granted_by)
      VALUES (@kind, @value, @role, @grantedAt, @grantedBy) ON CONFLICT (identity_kind, identity_value, role) DO NOTHING`),
    withdraw: db.prepare('DELETE FROM agent_roles WHERE identity_kind = ? AND identity_value = ? AND role = ?'),
    insertSession: db.prepare(`INSERT INTO agent_sessions (id, token_hash, card_id, created_at, idle_expires_at,
      expires_at, ended_at) VALUES (@id, @tokenHash, @cardId, @createdAt, @idleExpiresAt, @expiresAt, @endedAt)`),
    sessionByToken: db.prepare('SELECT * FROM agent_sessions WHERE token_hash = ?'),
    renewSession: db.prepare(`UPDATE agent_sessions SET idle_expires_at = @idleExpiresAt
      WHERE id = @id AND ended_at IS NULL AND idle_expires_at > @at AND expires_at > @at`),
    endSession: db.prepare('UPDATE agent_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL'),
    // Every value is a bound parameter; LIKE's own wildcards in the typed text match themselves (likePattern).
    searchCards: db.prepare(`SELECT * FROM cards WHERE lower(common_name) LIKE @pattern ESCAPE '\\'
      OR uuid = @exact OR fascn_hex = @exact OR serial_number_hex = @exact OR email = @email
      OR id IN (SELECT card_id FROM derived_certificates WHERE serial_number_hex = @exact)
      ORDER BY common_name, id LIMIT @limit`),
    insertRequest: db.prepare(`INSERT INTO revocation_requests (id, target_kind, target, card_id, reason, note,
      requested_by_card_id, requested_at, status, decided_by_card_id, decided_at) VALUES (@id, @targetKind, @target,
      @cardId, @reason, @note, @requestedByCardId, @requestedAt, @status, @decidedByCardId, @decidedAt)`),
    findRequest: db.prepare('SELECT * FROM revocation_requests WHERE id = ?'),
    purgeSessions: db.prepare(PURGE_AGENT_SESSIONS.replace(/\$1/g, '@before').replace(/\$2/g, '@limit')),
    purgeRequests: db.prepare(PURGE_REVOCATION_REQUESTS.replace(/\$1/g, '@before').replace(/\$2/g, '@limit')),
    listRequests: db.prepare('SELECT * FROM revocation_requests WHERE status = ? ORDER BY requested_at, id LIMIT ?'),
    moveRequest: db.prepare(`UPDATE revocation_requests SET status = @to, decided_by_card_id = @byCardId,
      decided_at = @at WHERE id = @id AND status = @from AND (decided_by_card_id IS NULL OR decided_by_card_id = @byCardId)`),
    supervision: db.prepare(`SELECT supervision_key_fingerprint, affirmed_fingerprint, affirmed_by_card_id, affirmed_at
      FROM enrollments WHERE id = ?`),
    supervisedEnrollment: db.prepare('SELECT * FROM enrollments WHERE id = ?'),
    requestAffirmation: db.prepare(`UPDATE enrollments SET supervision_key_fingerprint = @fingerprint,
      affirmed_fingerprint = NULL, affirmed_by_card_id = NULL, affirmed_at = NULL
      WHERE id = @id AND status = 'awaiting-phone'
      AND (supervision_key_fingerprint IS NULL OR supervision_key_fingerprint <> @fingerprint)`),
    affirm: db.prepare(`UPDATE enrollments SET affirmed_fingerprint = @fingerprint, affirmed_by_card_id = @byCardId,
      affirmed_at = @at WHERE id = @id AND status = 'awaiting-phone' AND supervision_key_fingerprint = @fingerprint
      AND affirmed_at IS NULL`),
    queue: db.prepare(`SELECT e.*, c.common_name AS person_name, COALESCE(e.kiosk_id, s.kiosk_id) AS queue_kiosk_id,
      d.device_platform AS queue_device_platform, d.device_model AS queue_device_model
      FROM enrollments e JOIN cards c ON c.id = e.card_id JOIN kiosk_sessions s ON s.id = e.kiosk_session_id
      JOIN device_authorizations d ON d.id = e.device_authorization_id
      WHERE (e.status = 'awaiting-phone' AND e.created_at > @since)
      OR (e.status = 'completed' AND e.completed_at >= @doneSince)
      OR (e.status IN ('burned', 'card-revoked') AND e.created_at >= @doneSince)
      ORDER BY e.created_at DESC, e.id LIMIT @limit`),
  };
}

export function sqliteAgentStorage(db: Database.Database, tools: SqliteAgentTools): AgentStorage {
  const q = prepare(db);
  const { write, run, runWrite, audit } = tools;

  const changeAudited = write((change: () => number, entry: AuditEntryInput): boolean => {
    if (change() !== 1) return false;
    audit(entry);
    return true;
  });

  const openSession = write(
    (
      challengeId: string,
      at: number,
      card: CardRecord,
      session: Omit<AgentSessionRecord, 'cardId'>,
      entry: AuditFor<string>,
    ): string | null => {
      if (!tools.consumeChallenge(challengeId, at)) return null;
      const cardId = tools.upsertCard(card);
      q.insertSession.run({ ...session, cardId });
      audit(typeof entry === 'function' ? entry(cardId) : entry);
      return cardId;
    },
  );

  const purgeAgentRecords = write(
    (sessionsBefore: number, requestsBefore: number, limit: number, entry: AuditFor<AgentPurgeResult>) => {
      const result = {
        agentSessions: q.purgeSessions.run({ before: sessionsBefore, limit }).changes,
        revocationRequests: q.purgeRequests.run({ before: requestsBefore, limit }).changes,
      };
      if (result.agentSessions + result.revocationRequests > 0)
        audit(typeof entry === 'function' ? entry(result) : entry);
      return result;
    },
  );
  const insertRequest = write((request: RevocationRequestRecord, entry: AuditEntryInput): void => {
    q.insertRequest.run(request);
    audit(entry);
  });

  return {
    findAgentRoles: (identities) =>
      run(() => {
        const value = (kind: string) => identities.find((identity) => identity.kind === kind)?.value ?? null;
        const rows = q.rolesOf.all({ uuid: value('uuid'), fascn: value('fascn'), subject: value('subject') }) as Row[];
        return rows.map((row) => text(row, 'role') as AgentRole);
      }),
    listAgentRoles: () => run(() => (q.listRoles.all() as Row[]).map(toGrant)),
    grantAgentRole: (grant, entry) => runWrite(() => changeAudited(() => q.grant.run(grant).changes, entry)),
    withdrawAgentRole: (identity, role, entry) =>
      runWrite(() => changeAudited(() => q.withdraw.run(identity.kind, identity.value, role).changes, entry)),
    openAgentSession: (challengeId, at, card, session, entry) =>
      runWrite(() => openSession(challengeId, at, card, session, entry)),
    findAgentSessionByTokenHash: (hash) =>
      run(() => {
        const row = q.sessionByToken.get(hash) as Row | undefined;
        return row === undefined ? null : toAgentSession(row);
      }),
    renewAgentSession: (id, at, idleExpiresAt) =>
      runWrite(() => q.renewSession.run({ id, at, idleExpiresAt }).changes === 1),
    endAgentSession: (id, at, entry) => runWrite(() => changeAudited(() => q.endSession.run(at, id).changes, entry)),
    searchCards: (search, limit) =>
      run(() =>
        (
          q.searchCards.all({
            pattern: likePattern(search.name),
            exact: search.exact,
            email: search.email,
            limit,
          }) as Row[]
        ).map(tools.toCard),
      ),
    insertRevocationRequest: (request, entry) => runWrite(() => insertRequest(request, entry)),
    findRevocationRequest: (id) =>
      run(() => {
        const row = q.findRequest.get(id) as Row | undefined;
        return row === undefined ? null : toRequest(row);
      }),
    listRevocationRequests: (status, limit) => run(() => (q.listRequests.all(status, limit) as Row[]).map(toRequest)),
    moveRevocationRequest: (id, move, entry) =>
      runWrite(() => changeAudited(() => q.moveRequest.run({ id, ...move }).changes, entry)),
    purgeAgentRecords: (sessionsBefore, requestsBefore, limit, entry) =>
      runWrite(() => purgeAgentRecords(sessionsBefore, requestsBefore, limit, entry)),
    listEnrollmentQueue: (since, doneSince, limit) =>
      run(() => (q.queue.all({ since, doneSince, limit }) as Row[]).map((row) => toQueueRow(row, tools.toEnrollment))),
    findEnrollmentSupervision: (enrollmentId) =>
      run(() => {
        const row = q.supervision.get(enrollmentId) as Row | undefined;
        return row === undefined ? null : toSupervision(row);
      }),
    findSupervisedEnrollment: (enrollmentId) =>
      run(() => {
        const row = q.supervisedEnrollment.get(enrollmentId) as Row | undefined;
        return row === undefined ? null : { enrollment: tools.toEnrollment(row), supervision: toSupervision(row) };
      }),
    requestAffirmation: (id, fingerprint, entry) =>
      runWrite(() => changeAudited(() => q.requestAffirmation.run({ id, fingerprint }).changes, entry)),
    affirmEnrollment: (id, affirmation, entry) =>
      runWrite(() => changeAudited(() => q.affirm.run({ id, ...affirmation }).changes, entry)),
  };
}
