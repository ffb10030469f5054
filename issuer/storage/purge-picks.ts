// The maintenance purge's picks, one text for both stores (sqlite-storage.ts and postgres-storage.ts each wrap it in
// their bounded DELETE).

/**
 * Unfinished enrollments past their OTP and their session: the partial index of migration 13 holds the unfinished
 * ones only (completed enrollments are kept for ever).
 */
export const PURGE_PICK_ENROLLMENTS = `SELECT e.id FROM enrollments e JOIN kiosk_sessions s ON s.id = e.kiosk_session_id
  WHERE e.status <> 'completed' AND e.otp_expires_at < $1 AND s.expires_at < $1`;

/**
 * The purge's picks (both stores; `$1` the cutoff, the store adds the LIMIT): expired device authorizations and kiosk
 * sessions that no enrollment refers to. `enrollment_count = 0` is the partial index's condition (migration 13): the
 * walk by expiry skips the rows of enrollments, which are kept for ever, instead of probing each one every round.
 * NOT EXISTS stays as the rule itself, checked only on the rows the index yields.
 */
export const PURGE_PICK_DEVICES = `SELECT d.id FROM device_authorizations d
  WHERE d.enrollment_count = 0 AND d.expires_at < $1
  AND (d.access_token_expires_at IS NULL OR d.access_token_expires_at < $1)
  AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.device_authorization_id = d.id)`;
export const PURGE_PICK_SESSIONS = `SELECT s.id FROM kiosk_sessions s
  WHERE s.enrollment_count = 0 AND s.expires_at < $1
  AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.kiosk_session_id = s.id)`;
