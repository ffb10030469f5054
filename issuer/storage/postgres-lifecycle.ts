// PostgreSQL storage of the derived credentials' lifecycle: binding records, state changes, issuer generations, CRL
// numbers and tenant settings; the twin of sqlite-lifecycle.ts (same statements, $n parameters, rows that decide a
// write read FOR UPDATE), each change with its audit rows in one transaction (see postgres-storage.ts).
import type {
  CompleteEnrollmentResult,
  CrlEntry,
  NewDerivedCertificate,
  NoticesFor,
  NotificationInput,
  SupersedeAudit,
} from './issuer-storage.ts';
import type { RevocationReason } from '../lifecycle/revocation-reason.ts';
import { appendAuditRow as appendAudit } from './postgres-audit.ts';
import type { PostgresPool, Row, Sql } from './postgres-connection.ts';
import type { LifecycleStorage } from './sqlite-lifecycle.ts';
import { likePattern, toDerivedCertificate, toGeneration, toView, VIEW_SELECT } from './sqlite-lifecycle.ts';

/** Queues a message inside the caller's transaction (postgres-outbox.ts). */
type Enqueue = (sql: Sql, message: NotificationInput) => Promise<boolean>;

/** Any constant: starting an issuer generation is one at a time across every node. */
const GENERATION_LOCK = 815_700_002;

const REVOKED_COLUMNS = 'RETURNING serial_number_hex, issuer_generation, card_id, not_after';

/** Every change of a credential's revocation state makes its generation's CRL out of date. */
async function changedIn(sql: Sql, generations: Iterable<number>): Promise<void> {
  for (const generation of new Set(generations)) {
    await sql.count('UPDATE issuer_generations SET state_version = state_version + 1 WHERE generation = $1', [
      generation,
    ]);
  }
}

async function queueNotices(
  sql: Sql,
  enqueue: Enqueue,
  rows: readonly Row[],
  notices: NoticesFor | undefined,
): Promise<void> {
  if (notices === undefined) return;
  for (const row of rows) {
    const credential = {
      serialNumberHex: String(row.serial_number_hex),
      cardId: String(row.card_id),
      notAfter: Number(row.not_after),
    };
    for (const message of notices(credential)) await enqueue(sql, message);
  }
}

/**
 * The generation's row read FOR SHARE (a retirement committing meanwhile waits for this enrollment, or this one sees
 * it retired), as the SELECT list's `retired_at`; `when`: SQL that must hold first (the redeem's claim).
 */
export const generationRetiredAt = (parameter: string, when = 'TRUE'): string =>
  `(SELECT retired_at FROM issuer_generations WHERE generation = ${parameter} AND ${when} FOR SHARE) AS retired_at`;

/** Inside the enrollment's transaction: stores the credential, supersedes older ones of its card + device. */
export async function insertCredential(
  sql: Sql,
  certificate: NewDerivedCertificate,
  supersede: SupersedeAudit | undefined,
): Promise<CompleteEnrollmentResult> {
  const generation = await sql.one(`SELECT ${generationRetiredAt('$1')}`, [certificate.issuerGeneration]);
  if (generation?.retired_at !== null && generation?.retired_at !== undefined)
    return { completed: false, reason: 'generation-retired' };
  return writeCredential(sql, certificate, supersede);
}

/** insertCredential after its generation's check (the redeem makes it with its claim, in one statement). */
export async function writeCredential(
  sql: Sql,
  certificate: NewDerivedCertificate,
  supersede: SupersedeAudit | undefined,
): Promise<CompleteEnrollmentResult> {
  // The certificate and its card's revocation sources in one statement (2 round trips → 1): the card's update
  // waits on nothing of the INSERT, and a failing INSERT fails the whole statement.
  await sql.count(
    `WITH inserted AS (
       INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id, enrollment_id,
       certificate_der, not_before, not_after, issued_at, status, device_id, device_platform, device_model,
       device_source, tenant, issuer_generation, key_protection)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $11, $12, $13, $14, $15)
     )
     UPDATE cards SET crl_urls = $16, ocsp_url = $17 WHERE id = $2`,
    [
      certificate.serialNumberHex,
      certificate.cardId,
      certificate.deviceAuthorizationId,
      certificate.enrollmentId,
      certificate.certificateDer,
      certificate.notBefore,
      certificate.notAfter,
      certificate.issuedAt,
      certificate.device.id,
      certificate.device.platform,
      certificate.device.model,
      certificate.device.source,
      certificate.tenant,
      certificate.issuerGeneration,
      certificate.keyProtection ?? null,
      JSON.stringify(certificate.cardRevocationSources.crlUrls),
      certificate.cardRevocationSources.ocspUrl,
    ],
  );
  if (certificate.device.id === null || supersede === undefined) return { completed: true, superseded: [] };
  const rows = await sql.rows(
    `UPDATE derived_certificates SET status = 'revoked', revocation_reason = 'superseded', status_changed_at = $1
     WHERE card_id = $2 AND device_id = $3 AND serial_number_hex <> $4 AND status IN ('active', 'suspended')
     AND not_after > $1 RETURNING serial_number_hex, issuer_generation`,
    [certificate.issuedAt, certificate.cardId, certificate.device.id, certificate.serialNumberHex],
  );
  const superseded = rows.map((row) => String(row.serial_number_hex));
  await changedIn(
    sql,
    rows.map((row) => Number(row.issuer_generation)),
  );
  for (const serial of superseded) await appendAudit(sql, supersede(serial));
  return { completed: true, superseded };
}

async function revokeRows(
  sql: Sql,
  scope: { cardId: string } | { issuerGeneration: number },
  reason: RevocationReason,
  at: number,
): Promise<Row[]> {
  return 'cardId' in scope
    ? sql.rows(
        `UPDATE derived_certificates SET status = 'revoked', revocation_reason = $1, status_changed_at = $2
         WHERE card_id = $3 AND status IN ('active', 'suspended') AND not_after > $2 ${REVOKED_COLUMNS}`,
        [reason, at, scope.cardId],
      )
    : sql.rows(
        `UPDATE derived_certificates SET status = 'revoked', revocation_reason = $1, status_changed_at = $2
         WHERE issuer_generation = $3 AND status IN ('active', 'suspended') AND not_after > $2 ${REVOKED_COLUMNS}`,
        [reason, at, scope.issuerGeneration],
      );
}

export function postgresLifecycleStorage(pool: PostgresPool, enqueue: Enqueue): LifecycleStorage {
  const { transaction: tx, read } = pool;
  const mapOne = <T>(row: Row | null, map: (row: Row) => T): T | null => (row === null ? null : map(row));

  return {
    findDerivedCertificate: (serial) =>
      read(async (sql) =>
        mapOne(
          await sql.one('SELECT * FROM derived_certificates WHERE serial_number_hex = $1', [serial]),
          toDerivedCertificate,
        ),
      ),
    findDerivedCredential: (serial) =>
      read(async (sql) => mapOne(await sql.one(`${VIEW_SELECT} WHERE d.serial_number_hex = $1`, [serial]), toView)),
    listDerivedCredentials: (filter, limit) =>
      read(async (sql) =>
        (
          await sql.rows(
            `${VIEW_SELECT} WHERE ($1::text IS NULL OR d.serial_number_hex = $1) AND ($2::text IS NULL OR d.card_id = $2)
             AND ($3::text IS NULL OR c.uuid = $3) AND ($4::text IS NULL OR c.fascn_hex = $4)
             AND ($5::text IS NULL OR LOWER(c.common_name) LIKE $5 ESCAPE '\\') AND ($6::text IS NULL OR d.device_id = $6)
             AND ($7::text IS NULL OR d.status = $7) ORDER BY d.issued_at DESC, d.serial_number_hex LIMIT $8`,
            [
              filter.serialNumberHex ?? null,
              filter.cardId ?? null,
              filter.personUuid?.toLowerCase() ?? null,
              filter.fascnHex?.toLowerCase() ?? null,
              filter.name === undefined ? null : likePattern(filter.name),
              filter.deviceId ?? null,
              filter.status ?? null,
              limit,
            ],
          )
        ).map(toView),
      ),
    changeCredentialState: (change, entry, notices) =>
      tx(async (sql) => {
        const before = mapOne(
          await sql.one('SELECT * FROM derived_certificates WHERE serial_number_hex = $1 FOR UPDATE', [
            change.serialNumberHex,
          ]),
          toDerivedCertificate,
        );
        const changed =
          before !== null &&
          (await sql.count(
            `UPDATE derived_certificates SET status = $1, revocation_reason = $2, status_changed_at = $3
             WHERE serial_number_hex = $4 AND not_after > $5 AND status = ANY($6::text[])`,
            [change.to, change.reason, change.at, change.serialNumberHex, change.notExpiredAt, [...change.from]],
          )) === 1;
        if (!changed) return { changed: false, current: before };
        await changedIn(sql, [before.issuerGeneration]);
        await appendAudit(sql, entry);
        for (const message of notices?.(before) ?? []) await enqueue(sql, message);
        return { changed: true, before };
      }),
    revokeCredentials: (scope, reason, at, entry, notices) =>
      tx(async (sql) => {
        const rows = await revokeRows(sql, scope, reason, at);
        await changedIn(
          sql,
          rows.map((row) => Number(row.issuer_generation)),
        );
        const serials = rows.map((row) => String(row.serial_number_hex));
        for (const serial of serials) await appendAudit(sql, entry(serial));
        await queueNotices(sql, enqueue, rows, notices);
        return serials;
      }),
    currentIssuerGeneration: () =>
      read(async (sql) =>
        mapOne(
          await sql.one('SELECT * FROM issuer_generations WHERE retired_at IS NULL ORDER BY generation DESC LIMIT 1'),
          toGeneration,
        ),
      ),
    findIssuerGeneration: (generation) =>
      read(async (sql) =>
        mapOne(await sql.one('SELECT * FROM issuer_generations WHERE generation = $1', [generation]), toGeneration),
      ),
    startIssuerGeneration: (caDer, at, reason, entry, revokedEntry, notices) =>
      tx(async (sql) => {
        await sql.one('SELECT pg_advisory_xact_lock($1)', [GENERATION_LOCK]);
        const live = mapOne(
          await sql.one('SELECT * FROM issuer_generations WHERE retired_at IS NULL ORDER BY generation DESC LIMIT 1'),
          toGeneration,
        );
        // Several nodes starting on one CA: the first registers it, the others find it live.
        if (live !== null && Buffer.from(live.caCertificateDer).equals(caDer))
          return { generation: live.generation, revoked: [] };
        const highest = await sql.one('SELECT COALESCE(MAX(generation), 0) AS generation FROM issuer_generations');
        const generation = Number(highest?.generation) + 1;
        await sql.count('UPDATE issuer_generations SET retired_at = $1 WHERE retired_at IS NULL', [at]);
        await sql.count(
          'INSERT INTO issuer_generations (generation, ca_certificate_der, started_at) VALUES ($1, $2, $3)',
          [generation, caDer, at],
        );
        const rows = live === null ? [] : await revokeRows(sql, { issuerGeneration: live.generation }, reason, at);
        const revoked = rows.map((row) => String(row.serial_number_hex));
        if (live !== null) await changedIn(sql, [live.generation]);
        for (const serial of revoked) await appendAudit(sql, revokedEntry(serial));
        await queueNotices(sql, enqueue, rows, notices?.(generation));
        const result = { generation, revoked };
        await appendAudit(sql, typeof entry === 'function' ? entry(result) : entry);
        return result;
      }),
    draftCrl: (generation, at) =>
      tx(async (sql) => {
        const taken = await sql.one(
          `UPDATE issuer_generations SET crl_number = crl_number + 1 WHERE generation = $1
           RETURNING crl_number, state_version`,
          [generation],
        );
        if (taken === null) throw new Error(`no issuer generation ${generation}`);
        // Held and revoked certificates still within their validity (RFC 5280 §3.3: expired ones may leave the CRL).
        const rows = await sql.rows(
          `SELECT serial_number_hex, status_changed_at, revocation_reason FROM derived_certificates
           WHERE issuer_generation = $1 AND status IN ('suspended', 'revoked') AND not_after > $2
           ORDER BY serial_number_hex`,
          [generation, at],
        );
        const entries: CrlEntry[] = rows.map((row) => ({
          serialNumberHex: String(row.serial_number_hex),
          revokedAt: Number(row.status_changed_at),
          reason: (typeof row.revocation_reason === 'string'
            ? row.revocation_reason
            : 'unspecified') as RevocationReason,
        }));
        return {
          generation,
          crlNumber: Number(taken.crl_number),
          stateVersion: Number(taken.state_version),
          entries,
        };
      }),
    publishCrl: (crl) =>
      read(
        async (sql) =>
          (await sql.count(
            `UPDATE issuer_generations SET crl_der = $1, published_crl_number = $2, published_state_version = $3,
             crl_this_update = $4, crl_next_update = $5 WHERE generation = $6 AND published_crl_number < $2`,
            [crl.der, crl.crlNumber, crl.stateVersion, crl.thisUpdate, crl.nextUpdate, crl.generation],
          )) === 1,
      ),
    findPublishedCrl: (generation) =>
      read(async (sql) => {
        const row = await sql.one('SELECT * FROM issuer_generations WHERE generation = $1', [generation]);
        if (row === null || row.crl_der === null) return null;
        return {
          generation,
          crlNumber: Number(row.published_crl_number),
          stateVersion: Number(row.published_state_version),
          der: row.crl_der as Buffer,
          thisUpdate: Number(row.crl_this_update),
          nextUpdate: Number(row.crl_next_update),
        };
      }),
    crlStateVersion: (generation) =>
      read(async (sql) => {
        const row = await sql.one('SELECT state_version FROM issuer_generations WHERE generation = $1', [generation]);
        return row === null ? 0 : Number(row.state_version);
      }),
    readTenantSettings: () =>
      read(async (sql) =>
        Object.fromEntries(
          (await sql.rows('SELECT name, value FROM tenant_settings')).map((row) => [
            String(row.name),
            String(row.value),
          ]),
        ),
      ),
    writeTenantSettings: (values, at, entry) =>
      tx(async (sql) => {
        for (const [name, value] of Object.entries(values)) {
          await sql.count(
            `INSERT INTO tenant_settings (name, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
            [name, value, at],
          );
        }
        await appendAudit(sql, entry);
      }),
  };
}
