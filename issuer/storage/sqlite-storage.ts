// SQLite implementation of IssuerStorage (better-sqlite3, WAL). Statements are prepared once; compound changes
// run inside one transaction; state changes are conditional UPDATEs so two racing requests cannot both win.
import Database from 'better-sqlite3';
import type {
  AuditEntry, AuditEntryInput, CardRecord, ChallengeRecord, DerivedCertificateRecord, DeviceAuthorizationRecord,
  EnrollmentRecord, IssuerStorage, KioskSessionRecord,
} from './issuer-storage.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';

type Row = Record<string, unknown>;

const str = (row: Row, key: string): string => {
  const value = row[key];
  return typeof value === 'string' ? value : (value === undefined ? '' : JSON.stringify(value));
};
const num = (row: Row, key: string): number => Number(row[key]);
const strOrNull = (row: Row, key: string): string | null => (row[key] === null ? null : str(row, key));
const numOrNull = (row: Row, key: string): number | null => (row[key] === null ? null : Number(row[key]));
const bytes = (row: Row, key: string): Uint8Array => new Uint8Array(row[key] as Buffer);

function toDeviceAuthorization(row: Row): DeviceAuthorizationRecord {
  return {
    id: str(row, 'id'), deviceCodeHash: str(row, 'device_code_hash'), userCodeHash: str(row, 'user_code_hash'),
    clientId: str(row, 'client_id'), status: str(row, 'status') as DeviceAuthorizationRecord['status'],
    createdAt: num(row, 'created_at'), expiresAt: num(row, 'expires_at'), intervalSeconds: num(row, 'interval_seconds'),
    lastPollAt: numOrNull(row, 'last_poll_at'), cardId: strOrNull(row, 'card_id'),
    enrollmentId: strOrNull(row, 'enrollment_id'), accessTokenHash: strOrNull(row, 'access_token_hash'),
    accessTokenExpiresAt: numOrNull(row, 'access_token_expires_at'),
  };
}

function toChallenge(row: Row): ChallengeRecord {
  return {
    id: str(row, 'id'), challenge: bytes(row, 'challenge'), kioskId: strOrNull(row, 'kiosk_id'),
    createdAt: num(row, 'created_at'), expiresAt: num(row, 'expires_at'), usedAt: numOrNull(row, 'used_at'),
  };
}

function toCard(row: Row): CardRecord {
  return {
    id: str(row, 'id'), issuerDn: str(row, 'issuer_dn'), serialNumberHex: str(row, 'serial_number_hex'),
    uuid: strOrNull(row, 'uuid'), fascnHex: strOrNull(row, 'fascn_hex'), commonName: str(row, 'common_name'),
    notAfter: num(row, 'not_after'), certificateDer: bytes(row, 'certificate_der'),
  };
}

function toKioskSession(row: Row): KioskSessionRecord {
  return {
    id: str(row, 'id'), tokenHash: str(row, 'token_hash'), cardId: str(row, 'card_id'),
    kioskId: strOrNull(row, 'kiosk_id'), createdAt: num(row, 'created_at'), expiresAt: num(row, 'expires_at'),
    userCodeFailures: num(row, 'user_code_failures'),
  };
}

function toEnrollment(row: Row): EnrollmentRecord {
  return {
    id: str(row, 'id'), deviceAuthorizationId: str(row, 'device_authorization_id'), cardId: str(row, 'card_id'),
    kioskSessionId: str(row, 'kiosk_session_id'), status: str(row, 'status') as EnrollmentRecord['status'],
    otpHash: str(row, 'otp_hash'), otpExpiresAt: num(row, 'otp_expires_at'), otpFailures: num(row, 'otp_failures'),
    createdAt: num(row, 'created_at'), completedAt: numOrNull(row, 'completed_at'),
    derivedCertificateSerialHex: strOrNull(row, 'derived_certificate_serial_hex'),
  };
}

function toDerivedCertificate(row: Row): DerivedCertificateRecord {
  return {
    serialNumberHex: str(row, 'serial_number_hex'), cardId: str(row, 'card_id'),
    deviceAuthorizationId: str(row, 'device_authorization_id'), enrollmentId: str(row, 'enrollment_id'),
    certificateDer: bytes(row, 'certificate_der'), notBefore: num(row, 'not_before'), notAfter: num(row, 'not_after'),
    issuedAt: num(row, 'issued_at'),
  };
}

function applyMigrations(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) => num(row, 'version')),
  );
  for (const migration of SQLITE_MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.description, Date.now());
    })();
  }
}

export function openSqliteStorage(file: string): IssuerStorage {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  applyMigrations(db);

  const q = {
    insertDevice: db.prepare(`INSERT INTO device_authorizations (id, device_code_hash, user_code_hash, client_id, status,
      created_at, expires_at, interval_seconds, last_poll_at, card_id, enrollment_id, access_token_hash, access_token_expires_at)
      VALUES (@id, @deviceCodeHash, @userCodeHash, @clientId, @status, @createdAt, @expiresAt, @intervalSeconds,
      @lastPollAt, @cardId, @enrollmentId, @accessTokenHash, @accessTokenExpiresAt)`),
    deviceByDeviceCode: db.prepare('SELECT * FROM device_authorizations WHERE device_code_hash = ?'),
    deviceByUserCode: db.prepare('SELECT * FROM device_authorizations WHERE user_code_hash = ?'),
    deviceByAccessToken: db.prepare('SELECT * FROM device_authorizations WHERE access_token_hash = ?'),
    recordPoll: db.prepare('UPDATE device_authorizations SET last_poll_at = ?, interval_seconds = ? WHERE id = ?'),
    issueToken: db.prepare(`UPDATE device_authorizations SET status = 'token-issued', access_token_hash = ?,
      access_token_expires_at = ? WHERE id = ? AND status = 'approved'`),
    approveDevice: db.prepare(`UPDATE device_authorizations SET status = 'approved', card_id = ?, enrollment_id = ?
      WHERE id = ? AND status = 'pending'`),
    denyDevice: db.prepare(`UPDATE device_authorizations SET status = 'denied' WHERE id = ?`),
    insertChallenge: db.prepare(`INSERT INTO challenges (id, challenge, kiosk_id, created_at, expires_at, used_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    findChallenge: db.prepare('SELECT * FROM challenges WHERE id = ?'),
    consumeChallenge: db.prepare('UPDATE challenges SET used_at = ? WHERE id = ? AND used_at IS NULL'),
    findCardByIssuerSerial: db.prepare('SELECT id FROM cards WHERE issuer_dn = ? AND serial_number_hex = ?'),
    insertCard: db.prepare(`INSERT INTO cards (id, issuer_dn, serial_number_hex, uuid, fascn_hex, common_name, not_after,
      certificate_der) VALUES (@id, @issuerDn, @serialNumberHex, @uuid, @fascnHex, @commonName, @notAfter, @certificateDer)`),
    updateCard: db.prepare(`UPDATE cards SET uuid = @uuid, fascn_hex = @fascnHex, common_name = @commonName,
      not_after = @notAfter, certificate_der = @certificateDer WHERE id = @id`),
    findCard: db.prepare('SELECT * FROM cards WHERE id = ?'),
    insertSession: db.prepare(`INSERT INTO kiosk_sessions (id, token_hash, card_id, kiosk_id, created_at, expires_at,
      user_code_failures) VALUES (@id, @tokenHash, @cardId, @kioskId, @createdAt, @expiresAt, @userCodeFailures)`),
    sessionByToken: db.prepare('SELECT * FROM kiosk_sessions WHERE token_hash = ?'),
    sessionFailure: db.prepare('UPDATE kiosk_sessions SET user_code_failures = user_code_failures + 1 WHERE id = ?'),
    sessionFailures: db.prepare('SELECT user_code_failures FROM kiosk_sessions WHERE id = ?'),
    endSession: db.prepare('UPDATE kiosk_sessions SET expires_at = ? WHERE id = ? AND expires_at > ?'),
    insertEnrollment: db.prepare(`INSERT INTO enrollments (id, device_authorization_id, card_id, kiosk_session_id, status,
      otp_hash, otp_expires_at, otp_failures, created_at, completed_at, derived_certificate_serial_hex)
      VALUES (@id, @deviceAuthorizationId, @cardId, @kioskSessionId, @status, @otpHash, @otpExpiresAt, @otpFailures,
      @createdAt, @completedAt, @derivedCertificateSerialHex)`),
    findEnrollment: db.prepare('SELECT * FROM enrollments WHERE id = ?'),
    replaceOtp: db.prepare(`UPDATE enrollments SET otp_hash = ?, otp_expires_at = ?, otp_failures = 0
      WHERE id = ? AND status = 'awaiting-phone'`),
    otpFailure: db.prepare(`UPDATE enrollments SET otp_failures = otp_failures + 1 WHERE id = ? AND status = 'awaiting-phone'`),
    burn: db.prepare(`UPDATE enrollments SET status = 'burned' WHERE id = ? AND status = 'awaiting-phone'`),
    claim: db.prepare(`UPDATE enrollments SET status = 'issuing' WHERE id = ? AND status = 'awaiting-phone' AND otp_hash = ?`),
    release: db.prepare(`UPDATE enrollments SET status = 'awaiting-phone' WHERE id = ? AND status = 'issuing'`),
    complete: db.prepare(`UPDATE enrollments SET status = 'completed', completed_at = ?, derived_certificate_serial_hex = ?
      WHERE id = ? AND status = 'issuing'`),
    insertDerived: db.prepare(`INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id,
      enrollment_id, certificate_der, not_before, not_after, issued_at) VALUES (@serialNumberHex, @cardId,
      @deviceAuthorizationId, @enrollmentId, @certificateDer, @notBefore, @notAfter, @issuedAt)`),
    findDerived: db.prepare('SELECT * FROM derived_certificates WHERE serial_number_hex = ?'),
    appendAudit: db.prepare('INSERT INTO audit_log (at, event, outcome, code, details) VALUES (?, ?, ?, ?, ?)'),
    listAudit: db.prepare('SELECT * FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?'),
  };

  const one = <T>(row: unknown, map: (row: Row) => T): T | null => (row === undefined ? null : map(row as Row));

  const approve = db.transaction((deviceAuthorizationId: string, enrollment: EnrollmentRecord): boolean => {
    const changed = q.approveDevice.run(enrollment.cardId, enrollment.id, deviceAuthorizationId).changes;
    if (changed !== 1) return false;
    q.insertEnrollment.run(enrollment);
    return true;
  });

  const otpFailure = db.transaction((id: string, maxFailures: number) => {
    q.otpFailure.run(id);
    const row = q.findEnrollment.get(id) as Row | undefined;
    if (row === undefined) return { failures: 0, burned: false };
    const failures = num(row, 'otp_failures');
    if (failures >= maxFailures && str(row, 'status') === 'awaiting-phone') {
      q.burn.run(id);
      q.denyDevice.run(str(row, 'device_authorization_id'));
      return { failures, burned: true };
    }
    return { failures, burned: str(row, 'status') === 'burned' };
  });

  const complete = db.transaction((id: string, certificate: DerivedCertificateRecord) => {
    q.insertDerived.run({ ...certificate, certificateDer: Buffer.from(certificate.certificateDer) });
    const changed = q.complete.run(certificate.issuedAt, certificate.serialNumberHex, id).changes;
    if (changed !== 1) throw new Error('enrollment was not being issued');
  });

  const upsertCard = db.transaction((record: CardRecord): string => {
    const existing = q.findCardByIssuerSerial.get(record.issuerDn, record.serialNumberHex) as Row | undefined;
    const params = { ...record, certificateDer: Buffer.from(record.certificateDer) };
    if (existing === undefined) {
      q.insertCard.run(params);
      return record.id;
    }
    const id = str(existing, 'id');
    q.updateCard.run({ ...params, id });
    return id;
  });

  return {
    insertDeviceAuthorization: (record) => { q.insertDevice.run(record); return Promise.resolve(); },
    findDeviceAuthorizationByDeviceCodeHash: (hash) => Promise.resolve(one(q.deviceByDeviceCode.get(hash), toDeviceAuthorization)),
    findDeviceAuthorizationByUserCodeHash: (hash) => Promise.resolve(one(q.deviceByUserCode.get(hash), toDeviceAuthorization)),
    findDeviceAuthorizationByAccessTokenHash: (hash) => Promise.resolve(one(q.deviceByAccessToken.get(hash), toDeviceAuthorization)),
    recordTokenPoll: (id, at, intervalSeconds) => { q.recordPoll.run(at, intervalSeconds, id); return Promise.resolve(); },
    issueAccessToken: (id, hash, expiresAt) => Promise.resolve(q.issueToken.run(hash, expiresAt, id).changes === 1),

    insertChallenge: (r) => {
      q.insertChallenge.run(r.id, Buffer.from(r.challenge), r.kioskId, r.createdAt, r.expiresAt, r.usedAt);
      return Promise.resolve();
    },
    findChallenge: (id) => Promise.resolve(one(q.findChallenge.get(id), toChallenge)),
    consumeChallenge: (id, at) => Promise.resolve(q.consumeChallenge.run(at, id).changes === 1),
    upsertCard: (record) => Promise.resolve(upsertCard(record)),
    findCard: (id) => Promise.resolve(one(q.findCard.get(id), toCard)),
    insertKioskSession: (record) => { q.insertSession.run(record); return Promise.resolve(); },
    findKioskSessionByTokenHash: (hash) => Promise.resolve(one(q.sessionByToken.get(hash), toKioskSession)),
    recordUserCodeFailure: (sessionId) => {
      q.sessionFailure.run(sessionId);
      const row = q.sessionFailures.get(sessionId) as Row | undefined;
      return Promise.resolve(row === undefined ? 0 : num(row, 'user_code_failures'));
    },
    endKioskSession: (sessionId, at) => { q.endSession.run(at, sessionId, at); return Promise.resolve(); },

    approveDeviceAuthorization: (deviceAuthorizationId, enrollment) =>
      Promise.resolve(approve(deviceAuthorizationId, enrollment)),
    findEnrollment: (id) => Promise.resolve(one(q.findEnrollment.get(id), toEnrollment)),
    replaceEnrollmentOtp: (id, otpHash, otpExpiresAt) =>
      Promise.resolve(q.replaceOtp.run(otpHash, otpExpiresAt, id).changes === 1),
    recordOtpFailure: (id, maxFailures) => Promise.resolve(otpFailure(id, maxFailures)),
    claimEnrollment: (id, otpHash) => Promise.resolve(q.claim.run(id, otpHash).changes === 1),
    releaseEnrollment: (id) => { q.release.run(id); return Promise.resolve(); },
    completeEnrollment: (id, certificate) => { complete(id, certificate); return Promise.resolve(); },
    findDerivedCertificate: (serial) => Promise.resolve(one(q.findDerived.get(serial), toDerivedCertificate)),

    appendAudit: (entry: AuditEntryInput) => {
      q.appendAudit.run(entry.at, entry.event, entry.outcome, entry.code, JSON.stringify(entry.details));
      return Promise.resolve();
    },
    listAudit: (afterSequence, limit) => Promise.resolve((q.listAudit.all(afterSequence, limit) as Row[]).map(
      (row): AuditEntry => ({
        sequence: num(row, 'sequence'), at: num(row, 'at'), event: str(row, 'event'),
        outcome: str(row, 'outcome') as AuditEntry['outcome'], code: strOrNull(row, 'code'),
        details: JSON.parse(str(row, 'details')) as AuditEntry['details'],
      }),
    )),

    close: () => { db.close(); return Promise.resolve(); },
  };
}
