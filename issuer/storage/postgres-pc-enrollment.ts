// PostgreSQL side of "this PC" (issuer/pc/): the twin of sqlite-pc-enrollment.ts (same rows, $n parameters). The
// kiosk session's row is locked first (card → kiosk session order, as every other write here), so two PCs
// enrolling on one sign-in count their approvals one after the other.
import { PC_CLIENT_ID } from '../lifecycle/binding.ts';
import type { IssuerStorage, NotificationInput, PcEnrollmentResult } from './issuer-storage.ts';
import { appendAuditRow } from './postgres-audit.ts';
import type { PostgresPool, Sql } from './postgres-connection.ts';
import { insertCredential } from './postgres-lifecycle.ts';

type Enqueue = (sql: Sql, message: NotificationInput) => Promise<boolean>;

/** Rolls the whole enrollment back when the certificate's CA generation was retired meanwhile. */
class GenerationRetired extends Error {}

export function postgresPcEnrollmentStorage(pool: PostgresPool, enqueue: Enqueue): Pick<IssuerStorage, 'enrollPc'> {
  return {
    enrollPc: (authorization, certificate, maxApprovals, entry, notifications = []) =>
      pool
        .transaction(async (sql): Promise<PcEnrollmentResult> => {
          const { deviceAuthorizationId: id, enrollmentId, sessionId, cardId, at, platform, model } = authorization;
          await sql.one('SELECT id FROM cards WHERE id = $1 FOR UPDATE', [cardId]);
          await sql.one('SELECT id FROM kiosk_sessions WHERE id = $1 FOR UPDATE', [sessionId]);
          const counted = await sql.one('SELECT COUNT(*) AS approvals FROM enrollments WHERE kiosk_session_id = $1', [
            sessionId,
          ]);
          if (Number(counted?.approvals) >= maxApprovals) return { enrolled: false, reason: 'session-approval-limit' };
          // No device code or user code: values no HMAC (hex) can equal, so nobody can poll or approve this row.
          await sql.count(
            `INSERT INTO device_authorizations (id, device_code_hash, user_code_hash, client_id, status, created_at,
             expires_at, interval_seconds, card_id, enrollment_id, device_platform, device_model)
             VALUES ($1, 'pc-device:' || $1, 'pc-user:' || $1, '${PC_CLIENT_ID}', 'approved', $2, $2, 0, $3, $4, $5, $6)`,
            [id, at, cardId, enrollmentId, platform, model],
          );
          // No OTP: its hash is empty (no code hashes to it) and it expired at once.
          await sql.count(
            `INSERT INTO enrollments (id, device_authorization_id, card_id, kiosk_session_id, status, otp_hash,
             otp_expires_at, otp_failures, created_at, completed_at, derived_certificate_serial_hex)
             VALUES ($1, $2, $3, $4, 'completed', '', $5, 0, $5, $5, $6)`,
            [enrollmentId, id, cardId, sessionId, at, certificate.serialNumberHex],
          );
          if (!(await insertCredential(sql, certificate, undefined)).completed) throw new GenerationRetired();
          await appendAuditRow(sql, entry);
          for (const message of notifications) await enqueue(sql, message);
          return { enrolled: true };
        })
        .catch((error: unknown) => {
          if (error instanceof GenerationRetired) return { enrolled: false, reason: 'generation-retired' } as const;
          throw error;
        }),
  };
}
