// The redeem's three look-ups on PostgreSQL as one statement (bench/issuer-statements.ts: 3 round trips → 1): the
// device authorization holding the access token, the enrollment the phone names and that enrollment's card. Every
// refusal stays in issuer/enrollment/redeem.ts, in its order: this only reads what it looks at, and misses come back
// as nulls (an unknown enrollment has no card either).
//
// The three tables share column names (id, status, card_id, created_at), so each column is selected under its
// table's prefix and handed to the same row mappers as the single-table reads. The lists are what those mappers
// read (sqlite-storage.ts toDeviceAuthorization, toEnrollment, toCard): a column added to a mapper goes here too,
// and redemption-parties.postgres.test.ts fails until it does (a missing column reaches the mapper as '' or NaN).
import type { RedemptionParties } from './issuer-storage.ts';
import type { PostgresPool, Row } from './postgres-connection.ts';
import { toCard, toDeviceAuthorization, toEnrollment } from './sqlite-storage.ts';

const DEVICE_READ = [
  'id',
  'device_code_hash',
  'user_code_hash',
  'client_id',
  'status',
  'created_at',
  'expires_at',
  'interval_seconds',
  'last_poll_at',
  'card_id',
  'enrollment_id',
  'access_token_hash',
  'access_token_expires_at',
  'device_platform',
  'device_model',
  'app_name',
  'app_version',
  'pairing_session_id',
  'pairing_shown_at',
];
const ENROLLMENT_READ = [
  'id',
  'device_authorization_id',
  'card_id',
  'kiosk_session_id',
  'status',
  'otp_hash',
  'otp_expires_at',
  'otp_failures',
  'created_at',
  'completed_at',
  'derived_certificate_serial_hex',
  'phone_fetched_at',
  'kiosk_id',
];
const CARD_READ = [
  'id',
  'issuer_dn',
  'serial_number_hex',
  'uuid',
  'fascn_hex',
  'common_name',
  'not_after',
  'certificate_der',
];

const prefixed = (table: string, columns: readonly string[]): string =>
  columns.map((column) => `${table}.${column} AS ${table}_${column}`).join(', ');

/** The enrollment is joined by the id the phone sent, not through the device: a wrong device is redeem's refusal. */
const REDEMPTION_PARTIES = `SELECT ${prefixed('d', DEVICE_READ)}, ${prefixed('e', ENROLLMENT_READ)},
    ${prefixed('c', CARD_READ)}
  FROM device_authorizations d
  LEFT JOIN enrollments e ON e.id = $2
  LEFT JOIN cards c ON c.id = e.card_id
  WHERE d.access_token_hash = $1`;

/** One table's columns out of the joined row, under their own names; null when the join found no row there. */
function part(row: Row, table: string, columns: readonly string[]): Row | null {
  if (row[`${table}_id`] === null) return null;
  return Object.fromEntries(columns.map((column) => [column, row[`${table}_${column}`]]));
}

export async function findRedemptionParties(
  pool: PostgresPool,
  accessTokenHash: string,
  enrollmentId: string,
): Promise<RedemptionParties | null> {
  const row = await pool.read((sql) => sql.one(REDEMPTION_PARTIES, [accessTokenHash, enrollmentId]));
  const device = row === null ? null : part(row, 'd', DEVICE_READ);
  if (row === null || device === null) return null;
  const enrollment = part(row, 'e', ENROLLMENT_READ);
  const card = part(row, 'c', CARD_READ);
  return {
    device: toDeviceAuthorization(device),
    enrollment: enrollment === null ? null : toEnrollment(enrollment),
    card: card === null ? null : toCard(card),
  };
}
