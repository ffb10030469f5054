// SQLite storage of the derived credentials' lifecycle: binding records, state changes, issuer generations, CRL
// numbers and tenant settings. The rules (which change is allowed, who may ask) live in issuer/lifecycle/; these
// are its conditional writes, each with its audit rows in one BEGIN IMMEDIATE transaction (see sqlite-storage.ts).
import { KEY_PROTECTION_LEVELS } from '../../contracts/issuer-api.ts';
import type Database from 'better-sqlite3';
import type {
  AuditEntryInput,
  AuditFor,
  CompleteEnrollmentResult,
  CrlDraft,
  CrlEntry,
  CredentialFilter,
  CredentialScope,
  CredentialStateChange,
  CredentialStateChangeResult,
  DerivedCertificateRecord,
  DerivedCredentialView,
  IssuerGeneration,
  IssuerStorage,
  NewDerivedCertificate,
  NoticesFor,
  NotificationInput,
  PublishedCrl,
  SupersedeAudit,
} from './issuer-storage.ts';
import type { RevocationReason } from '../lifecycle/revocation-reason.ts';

type Row = Record<string, unknown>;

/** What sqlite-storage.ts lends this module: the connection and its transaction, retry and audit helpers. */
export interface SqliteTools {
  db: Database.Database;
  write: <A extends unknown[], R>(work: (...args: A) => R) => (...args: A) => R;
  run: <T>(attempt: () => T) => Promise<T>;
  runWrite: <T>(attempt: () => T) => Promise<T>;
  audit: (entry: AuditEntryInput) => void;
  /** Queues a message in the outbox (sqlite-outbox.ts); only inside a write transaction. */
  enqueue: (message: NotificationInput) => unknown;
}

export type LifecycleStorage = Pick<
  IssuerStorage,
  | 'findDerivedCertificate'
  | 'findDerivedCredential'
  | 'listDerivedCredentials'
  | 'changeCredentialState'
  | 'revokeCredentials'
  | 'currentIssuerGeneration'
  | 'findIssuerGeneration'
  | 'startIssuerGeneration'
  | 'draftCrl'
  | 'publishCrl'
  | 'findPublishedCrl'
  | 'crlStateVersion'
  | 'readTenantSettings'
  | 'writeTenantSettings'
>;

const text = (row: Row, key: string): string | null => (typeof row[key] === 'string' ? row[key] : null);
const int = (row: Row, key: string): number => Number(row[key]);
const intOrNull = (row: Row, key: string): number | null =>
  row[key] === null || row[key] === undefined ? null : Number(row[key]);
const bytes = (row: Row, key: string): Uint8Array => row[key] as Buffer;
const blob = (value: Uint8Array): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export function toDerivedCertificate(row: Row): DerivedCertificateRecord {
  return {
    serialNumberHex: text(row, 'serial_number_hex') ?? '',
    cardId: text(row, 'card_id') ?? '',
    deviceAuthorizationId: text(row, 'device_authorization_id') ?? '',
    enrollmentId: text(row, 'enrollment_id') ?? '',
    certificateDer: bytes(row, 'certificate_der'),
    notBefore: int(row, 'not_before'),
    notAfter: int(row, 'not_after'),
    issuedAt: int(row, 'issued_at'),
    device: {
      id: text(row, 'device_id'),
      platform: text(row, 'device_platform'),
      model: text(row, 'device_model'),
      source: text(row, 'device_source') === 'confirmed-at-kiosk' ? 'confirmed-at-kiosk' : 'unconfirmed',
    },
    tenant: text(row, 'tenant') ?? '',
    issuerGeneration: int(row, 'issuer_generation'),
    keyProtection: KEY_PROTECTION_LEVELS.find((level) => level === row.key_protection) ?? null,
    status: text(row, 'status') as DerivedCertificateRecord['status'],
    revocationReason: text(row, 'revocation_reason') as RevocationReason | null,
    statusChangedAt: intOrNull(row, 'status_changed_at'),
  };
}

/** The card's CRL URLs are stored as a JSON array of strings; anything else reads as none. */
function crlUrls(row: Row): string[] {
  try {
    const parsed: unknown = JSON.parse(text(row, 'card_crl_urls') ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((url): url is string => typeof url === 'string') : [];
  } catch {
    return [];
  }
}

export function toView(row: Row): DerivedCredentialView {
  return {
    ...toDerivedCertificate(row),
    card: {
      id: text(row, 'card_id') ?? '',
      issuerDn: text(row, 'card_issuer_dn') ?? '',
      serialNumberHex: text(row, 'card_serial_hex') ?? '',
      uuid: text(row, 'card_uuid'),
      fascnHex: text(row, 'card_fascn_hex'),
      commonName: text(row, 'card_common_name') ?? '',
      notAfter: int(row, 'card_not_after'),
      crlUrls: crlUrls(row),
      ocspUrl: text(row, 'card_ocsp_url'),
    },
  };
}

export function toGeneration(row: Row): IssuerGeneration {
  return {
    generation: int(row, 'generation'),
    caCertificateDer: bytes(row, 'ca_certificate_der'),
    startedAt: int(row, 'started_at'),
    retiredAt: intOrNull(row, 'retired_at'),
  };
}

export const VIEW_SELECT = `SELECT d.*, c.issuer_dn AS card_issuer_dn, c.serial_number_hex AS card_serial_hex, c.uuid AS card_uuid,
  c.fascn_hex AS card_fascn_hex, c.common_name AS card_common_name, c.not_after AS card_not_after,
  c.crl_urls AS card_crl_urls, c.ocsp_url AS card_ocsp_url
  FROM derived_certificates d JOIN cards c ON c.id = d.card_id`;

/** LIKE's wildcards in a name typed by an administrator match themselves. */
export const likePattern = (name: string): string =>
  `%${name.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

function prepare(db: Database.Database) {
  return {
    insertDerived: db.prepare(`INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id,
      enrollment_id, certificate_der, not_before, not_after, issued_at, status, device_id, device_platform, device_model,
      device_source, tenant, issuer_generation, key_protection) VALUES (@serialNumberHex, @cardId, @deviceAuthorizationId,
      @enrollmentId, @certificateDer, @notBefore, @notAfter, @issuedAt, 'active', @deviceId, @devicePlatform, @deviceModel,
      @deviceSource, @tenant, @issuerGeneration, @keyProtection)`),
    cardSources: db.prepare('UPDATE cards SET crl_urls = ?, ocsp_url = ? WHERE id = ?'),
    supersede: db.prepare(`UPDATE derived_certificates SET status = 'revoked', revocation_reason = 'superseded',
      status_changed_at = @at WHERE card_id = @cardId AND device_id = @deviceId AND serial_number_hex <> @serial
      AND status IN ('active', 'suspended') AND not_after > @at RETURNING serial_number_hex, issuer_generation`),
    findDerived: db.prepare('SELECT * FROM derived_certificates WHERE serial_number_hex = ?'),
    findView: db.prepare(`${VIEW_SELECT} WHERE d.serial_number_hex = ?`),
    listViews: db.prepare(`${VIEW_SELECT} WHERE (@serial IS NULL OR d.serial_number_hex = @serial)
      AND (@cardId IS NULL OR d.card_id = @cardId) AND (@uuid IS NULL OR c.uuid = @uuid) AND (@fascn IS NULL OR c.fascn_hex = @fascn)
      AND (@name IS NULL OR LOWER(c.common_name) LIKE @name ESCAPE '\\') AND (@deviceId IS NULL OR d.device_id = @deviceId)
      AND (@status IS NULL OR d.status = @status) ORDER BY d.issued_at DESC, d.serial_number_hex LIMIT @limit`),
    changeState:
      db.prepare(`UPDATE derived_certificates SET status = @to, revocation_reason = @reason, status_changed_at = @at
      WHERE serial_number_hex = @serial AND not_after > @notExpiredAt AND status IN (SELECT value FROM json_each(@from))`),
    revokeCard:
      db.prepare(`UPDATE derived_certificates SET status = 'revoked', revocation_reason = @reason, status_changed_at = @at
      WHERE card_id = @cardId AND status IN ('active', 'suspended') AND not_after > @at
      RETURNING serial_number_hex, issuer_generation, card_id, not_after`),
    revokeGeneration: db.prepare(`UPDATE derived_certificates SET status = 'revoked', revocation_reason = @reason,
      status_changed_at = @at WHERE issuer_generation = @generation AND status IN ('active', 'suspended') AND not_after > @at
      RETURNING serial_number_hex, issuer_generation, card_id, not_after`),
    bumpStateVersion: db.prepare(
      'UPDATE issuer_generations SET state_version = state_version + 1 WHERE generation = ?',
    ),
    currentGeneration: db.prepare(
      'SELECT * FROM issuer_generations WHERE retired_at IS NULL ORDER BY generation DESC LIMIT 1',
    ),
    findGeneration: db.prepare('SELECT * FROM issuer_generations WHERE generation = ?'),
    highestGeneration: db.prepare('SELECT COALESCE(MAX(generation), 0) AS generation FROM issuer_generations'),
    retireGenerations: db.prepare('UPDATE issuer_generations SET retired_at = ? WHERE retired_at IS NULL'),
    insertGeneration: db.prepare(`INSERT INTO issuer_generations (generation, ca_certificate_der, started_at)
      VALUES (?, ?, ?)`),
    takeCrlNumber: db.prepare(`UPDATE issuer_generations SET crl_number = crl_number + 1 WHERE generation = ?
      RETURNING crl_number, state_version`),
    // Held and revoked certificates still within their validity (RFC 5280 §3.3: expired ones may leave the CRL).
    crlEntries: db.prepare(`SELECT serial_number_hex, status_changed_at, revocation_reason FROM derived_certificates
      WHERE issuer_generation = ? AND status IN ('suspended', 'revoked') AND not_after > ? ORDER BY serial_number_hex`),
    publishCrl: db.prepare(`UPDATE issuer_generations SET crl_der = @der, published_crl_number = @crlNumber,
      published_state_version = @stateVersion, crl_this_update = @thisUpdate, crl_next_update = @nextUpdate
      WHERE generation = @generation AND published_crl_number < @crlNumber`),
    stateVersion: db.prepare('SELECT state_version FROM issuer_generations WHERE generation = ?'),
    readSettings: db.prepare('SELECT name, value FROM tenant_settings'),
    writeSetting: db.prepare(`INSERT INTO tenant_settings (name, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
  };
}

export function openLifecycleStorage(tools: SqliteTools): LifecycleStorage & {
  /** Inside the enrollment's transaction: stores the credential, supersedes older ones of its card + device. */
  insertCredential: (
    certificate: NewDerivedCertificate,
    supersede: SupersedeAudit | undefined,
  ) => CompleteEnrollmentResult;
} {
  const { write, run, runWrite, audit, enqueue } = tools;
  const q = prepare(tools.db);
  const one = <T>(row: unknown, map: (row: Row) => T): T | null => (row === undefined ? null : map(row as Row));
  /** Every change of a credential's revocation state makes its generation's CRL out of date. */
  const changedIn = (generations: Iterable<number>): void => {
    for (const generation of new Set(generations)) q.bumpStateVersion.run(generation);
  };
  /** The notices of each credential a change revoked (rows RETURNING serial_number_hex, card_id, not_after). */
  const queueNotices = (rows: readonly Row[], notices: NoticesFor | undefined): void => {
    if (notices === undefined) return;
    for (const row of rows) {
      const credential = {
        serialNumberHex: text(row, 'serial_number_hex') ?? '',
        cardId: text(row, 'card_id') ?? '',
        notAfter: int(row, 'not_after'),
      };
      for (const message of notices(credential)) enqueue(message);
    }
  };

  const insertCredential = (
    certificate: NewDerivedCertificate,
    supersede: SupersedeAudit | undefined,
  ): CompleteEnrollmentResult => {
    const generation = one(q.findGeneration.get(certificate.issuerGeneration), toGeneration);
    if (generation !== null && generation.retiredAt !== null) return { completed: false, reason: 'generation-retired' };
    q.insertDerived.run({
      ...certificate,
      certificateDer: blob(certificate.certificateDer),
      deviceId: certificate.device.id,
      devicePlatform: certificate.device.platform,
      deviceModel: certificate.device.model,
      deviceSource: certificate.device.source,
      keyProtection: certificate.keyProtection ?? null,
    });
    const sources = certificate.cardRevocationSources;
    q.cardSources.run(JSON.stringify(sources.crlUrls), sources.ocspUrl, certificate.cardId);
    if (certificate.device.id === null || supersede === undefined) return { completed: true, superseded: [] };
    const rows = q.supersede.all({
      at: certificate.issuedAt,
      cardId: certificate.cardId,
      deviceId: certificate.device.id,
      serial: certificate.serialNumberHex,
    }) as Row[];
    const superseded = rows.map((row) => text(row, 'serial_number_hex') ?? '');
    changedIn(rows.map((row) => int(row, 'issuer_generation')));
    for (const serial of superseded) audit(supersede(serial));
    return { completed: true, superseded };
  };

  const changeState = write(
    (
      change: CredentialStateChange,
      entry: AuditEntryInput,
      notices: NoticesFor | undefined,
    ): CredentialStateChangeResult => {
      const before = one(q.findDerived.get(change.serialNumberHex), toDerivedCertificate);
      const changed =
        before !== null &&
        q.changeState.run({
          to: change.to,
          reason: change.reason,
          at: change.at,
          serial: change.serialNumberHex,
          notExpiredAt: change.notExpiredAt,
          from: JSON.stringify(change.from),
        }).changes === 1;
      if (!changed) return { changed: false, current: before };
      changedIn([before.issuerGeneration]);
      audit(entry);
      for (const message of notices?.(before) ?? []) enqueue(message);
      return { changed: true, before };
    },
  );

  const revokeScope = write(
    (
      scope: CredentialScope,
      reason: RevocationReason,
      at: number,
      entry: (serial: string) => AuditEntryInput,
      notices: NoticesFor | undefined,
    ): string[] => {
      const rows = (
        'cardId' in scope
          ? q.revokeCard.all({ reason, at, cardId: scope.cardId })
          : q.revokeGeneration.all({ reason, at, generation: scope.issuerGeneration })
      ) as Row[];
      changedIn(rows.map((row) => int(row, 'issuer_generation')));
      const serials = rows.map((row) => text(row, 'serial_number_hex') ?? '');
      for (const serial of serials) audit(entry(serial));
      queueNotices(rows, notices);
      return serials;
    },
  );

  const startGeneration = write(
    (
      caCertificateDer: Uint8Array,
      at: number,
      reason: RevocationReason,
      entry: AuditFor<{ generation: number; revoked: string[] }>,
      revokedEntry: (serial: string) => AuditEntryInput,
      notices: ((generation: number) => NoticesFor) | undefined,
    ) => {
      const live = one(q.currentGeneration.get(), toGeneration);
      // Several processes starting on one CA: the first registers it, the others find it live.
      if (live !== null && Buffer.from(live.caCertificateDer).equals(caCertificateDer))
        return { generation: live.generation, revoked: [] };
      const generation = int(q.highestGeneration.get() as Row, 'generation') + 1;
      q.retireGenerations.run(at);
      q.insertGeneration.run(generation, blob(caCertificateDer), at);
      const rows = live === null ? [] : (q.revokeGeneration.all({ reason, at, generation: live.generation }) as Row[]);
      const revoked = rows.map((row) => text(row, 'serial_number_hex') ?? '');
      if (live !== null) changedIn([live.generation]);
      for (const serial of revoked) audit(revokedEntry(serial));
      queueNotices(rows, notices?.(generation));
      const result = { generation, revoked };
      audit(typeof entry === 'function' ? entry(result) : entry);
      return result;
    },
  );

  const draftCrl = write((generation: number, at: number): CrlDraft => {
    const taken = q.takeCrlNumber.get(generation) as Row | undefined;
    if (taken === undefined) throw new Error(`no issuer generation ${generation}`);
    const entries: CrlEntry[] = (q.crlEntries.all(generation, at) as Row[]).map((row) => ({
      serialNumberHex: text(row, 'serial_number_hex') ?? '',
      revokedAt: int(row, 'status_changed_at'),
      reason: (text(row, 'revocation_reason') ?? 'unspecified') as RevocationReason,
    }));
    return { generation, crlNumber: int(taken, 'crl_number'), stateVersion: int(taken, 'state_version'), entries };
  });

  const writeSettings = write((values: Record<string, string>, at: number, entry: AuditEntryInput): void => {
    for (const [name, value] of Object.entries(values)) q.writeSetting.run(name, value, at);
    audit(entry);
  });

  return {
    insertCredential,
    findDerivedCertificate: (serial) => run(() => one(q.findDerived.get(serial), toDerivedCertificate)),
    findDerivedCredential: (serial) => run(() => one(q.findView.get(serial), toView)),
    listDerivedCredentials: (filter: CredentialFilter, limit) =>
      run(() =>
        (
          q.listViews.all({
            serial: filter.serialNumberHex ?? null,
            cardId: filter.cardId ?? null,
            uuid: filter.personUuid?.toLowerCase() ?? null,
            fascn: filter.fascnHex?.toLowerCase() ?? null,
            name: filter.name === undefined ? null : likePattern(filter.name),
            deviceId: filter.deviceId ?? null,
            status: filter.status ?? null,
            limit,
          }) as Row[]
        ).map(toView),
      ),
    changeCredentialState: (change, entry, notices) => runWrite(() => changeState(change, entry, notices)),
    revokeCredentials: (scope, reason, at, entry, notices) =>
      runWrite(() => revokeScope(scope, reason, at, entry, notices)),
    currentIssuerGeneration: () => run(() => one(q.currentGeneration.get(), toGeneration)),
    findIssuerGeneration: (generation) => run(() => one(q.findGeneration.get(generation), toGeneration)),
    startIssuerGeneration: (caDer, at, reason, entry, revokedEntry, notices) =>
      runWrite(() => startGeneration(caDer, at, reason, entry, revokedEntry, notices)),
    draftCrl: (generation, at) => runWrite(() => draftCrl(generation, at)),
    publishCrl: (crl: PublishedCrl) => runWrite(() => q.publishCrl.run({ ...crl, der: blob(crl.der) }).changes === 1),
    findPublishedCrl: (generation) =>
      run(() => {
        const row = q.findGeneration.get(generation) as Row | undefined;
        if (row === undefined || row.crl_der === null) return null;
        return {
          generation,
          crlNumber: int(row, 'published_crl_number'),
          stateVersion: int(row, 'published_state_version'),
          der: bytes(row, 'crl_der'),
          thisUpdate: int(row, 'crl_this_update'),
          nextUpdate: int(row, 'crl_next_update'),
        };
      }),
    crlStateVersion: (generation) =>
      run(() => {
        const row = q.stateVersion.get(generation) as Row | undefined;
        return row === undefined ? 0 : int(row, 'state_version');
      }),
    readTenantSettings: () =>
      run(() =>
        Object.fromEntries(
          (q.readSettings.all() as Row[]).map((row) => [text(row, 'name') ?? '', text(row, 'value') ?? '']),
        ),
      ),
    writeTenantSettings: (values, at, entry) =>
      runWrite(() => {
        writeSettings(values, at, entry);
      }),
  };
}
