// SQLite side of "this PC" (issuer/pc/): a card sign-in authorizes one PC. The PC is stored as what a phone becomes
// after a redeem (an approved device authorization with a completed enrollment of the session, then the derived
// credential), so the binding record, CRL/OCSP, the card monitor, renewal-due and notices need nothing new. The
// SQL is portable (plain INSERTs; the approvals count is the same query the phone's approval uses).
import type Database from 'better-sqlite3';
import { PC_CLIENT_ID } from '../lifecycle/binding.ts';
import type {
  AuditEntryInput,
  CompleteEnrollmentResult,
  IssuerStorage,
  NewDerivedCertificate,
  NotificationInput,
  PcAuthorization,
  PcEnrollmentResult,
} from './issuer-storage.ts';

type Row = Record<string, unknown>;

export interface PcEnrollmentTools {
  write: <A extends unknown[], R>(work: (...args: A) => R) => (...args: A) => R;
  runWrite: <T>(attempt: () => T) => Promise<T>;
  audit: (entry: AuditEntryInput) => void;
  enqueue: (message: NotificationInput) => unknown;
  /** sqlite-lifecycle.ts: stores the credential inside the caller's transaction. */
  insertCredential: (certificate: NewDerivedCertificate, supersede: undefined) => CompleteEnrollmentResult;
}

/** Rolls the whole enrollment back when the certificate's CA generation was retired meanwhile. */
class GenerationRetired extends Error {}

function prepare(db: Database.Database) {
  return {
    sessionApprovals: db.prepare('SELECT COUNT(*) AS approvals FROM enrollments WHERE kiosk_session_id = ?'),
    // The device code and user code hashes are unique and never null; a PC has neither, so each gets a value no
    // HMAC (hex) can equal: nobody can ever poll or approve this row through the device flow.
    insertDevice:
      db.prepare(`INSERT INTO device_authorizations (id, device_code_hash, user_code_hash, client_id, status,
      created_at, expires_at, interval_seconds, card_id, enrollment_id, device_platform, device_model)
      VALUES (@id, 'pc-device:' || @id, 'pc-user:' || @id, '${PC_CLIENT_ID}', 'approved', @at, @at, 0, @cardId,
      @enrollmentId, @platform, @model)`),
    // No OTP: its hash is empty (no code hashes to it) and it expired at once.
    insertEnrollment:
      db.prepare(`INSERT INTO enrollments (id, device_authorization_id, card_id, kiosk_session_id, status,
      otp_hash, otp_expires_at, otp_failures, created_at, completed_at, derived_certificate_serial_hex)
      VALUES (@enrollmentId, @id, @cardId, @sessionId, 'completed', '', @at, 0, @at, @at, @serial)`),
  };
}

export function sqlitePcEnrollmentStorage(
  db: Database.Database,
  tools: PcEnrollmentTools,
): Pick<IssuerStorage, 'enrollPc'> {
  const q = prepare(db);
  const enroll = tools.write(
    (
      authorization: PcAuthorization,
      certificate: NewDerivedCertificate,
      maxApprovals: number,
      entry: AuditEntryInput,
      notifications: readonly NotificationInput[],
    ): PcEnrollmentResult => {
      const approvals = Number((q.sessionApprovals.get(authorization.sessionId) as Row).approvals);
      if (approvals >= maxApprovals) return { enrolled: false, reason: 'session-approval-limit' };
      const { deviceAuthorizationId: id, enrollmentId, sessionId, cardId, at, platform, model } = authorization;
      q.insertDevice.run({ id, at, cardId, enrollmentId, platform, model });
      q.insertEnrollment.run({ id, enrollmentId, cardId, sessionId, at, serial: certificate.serialNumberHex });
      if (!tools.insertCredential(certificate, undefined).completed) throw new GenerationRetired();
      tools.audit(entry);
      for (const message of notifications) tools.enqueue(message);
      return { enrolled: true };
    },
  );
  return {
    enrollPc: (authorization, certificate, maxApprovals, entry, notifications = []) =>
      tools.runWrite(() => {
        try {
          return enroll(authorization, certificate, maxApprovals, entry, notifications);
        } catch (error: unknown) {
          if (error instanceof GenerationRetired) return { enrolled: false, reason: 'generation-retired' };
          throw error;
        }
      }),
  };
}
