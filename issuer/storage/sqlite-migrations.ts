// Schema migrations of the SQLite store, applied in ascending version order and recorded in `schema_migrations`.
// Versions may have gaps (helpers on parallel branches reserve numbers): each one present and not yet applied runs.
// The SQL is kept portable (TEXT, INTEGER, BLOB→BYTEA, no SQLite-only column types) so the PostgreSQL store can
// reuse it; only the append-only triggers are SQLite dialect.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'device authorizations, PKI-AUTH, cards, enrollments, derived certificates, audit log',
    sql: `
      CREATE TABLE device_authorizations (
        id TEXT PRIMARY KEY,
        device_code_hash TEXT NOT NULL UNIQUE,
        user_code_hash TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        interval_seconds INTEGER NOT NULL,
        last_poll_at INTEGER,
        card_id TEXT,
        enrollment_id TEXT,
        access_token_hash TEXT UNIQUE,
        access_token_expires_at INTEGER
      );
      CREATE TABLE challenges (
        id TEXT PRIMARY KEY,
        challenge BLOB NOT NULL,
        kiosk_id TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE TABLE cards (
        id TEXT PRIMARY KEY,
        issuer_dn TEXT NOT NULL,
        serial_number_hex TEXT NOT NULL,
        uuid TEXT,
        fascn_hex TEXT,
        common_name TEXT NOT NULL,
        not_after INTEGER NOT NULL,
        certificate_der BLOB NOT NULL,
        UNIQUE (issuer_dn, serial_number_hex)
      );
      CREATE TABLE kiosk_sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        card_id TEXT NOT NULL REFERENCES cards (id),
        kiosk_id TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        user_code_failures INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE enrollments (
        id TEXT PRIMARY KEY,
        device_authorization_id TEXT NOT NULL UNIQUE REFERENCES device_authorizations (id),
        card_id TEXT NOT NULL REFERENCES cards (id),
        kiosk_session_id TEXT NOT NULL REFERENCES kiosk_sessions (id),
        status TEXT NOT NULL,
        otp_hash TEXT NOT NULL,
        otp_expires_at INTEGER NOT NULL,
        otp_failures INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        completed_at INTEGER,
        derived_certificate_serial_hex TEXT
      );
      CREATE TABLE derived_certificates (
        serial_number_hex TEXT PRIMARY KEY,
        card_id TEXT NOT NULL REFERENCES cards (id),
        device_authorization_id TEXT NOT NULL REFERENCES device_authorizations (id),
        enrollment_id TEXT NOT NULL REFERENCES enrollments (id),
        certificate_der BLOB NOT NULL,
        not_before INTEGER NOT NULL,
        not_after INTEGER NOT NULL,
        issued_at INTEGER NOT NULL
      );
      CREATE INDEX derived_certificates_by_card ON derived_certificates (card_id);
      CREATE TABLE audit_log (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        outcome TEXT NOT NULL,
        code TEXT,
        details TEXT NOT NULL
      );
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
  {
    version: 2,
    description:
      'card-wide user_code guess counts, per-session approvals, indexes for purging, job leases, audit retention',
    sql: `
      ALTER TABLE cards ADD COLUMN user_code_failures INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE cards ADD COLUMN user_code_window_start INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX enrollments_by_session ON enrollments (kiosk_session_id);
      CREATE INDEX enrollments_by_card ON enrollments (card_id);
      CREATE INDEX kiosk_sessions_by_card ON kiosk_sessions (card_id);
      CREATE INDEX kiosk_sessions_by_expiry ON kiosk_sessions (expires_at);
      CREATE INDEX challenges_by_expiry ON challenges (expires_at);
      CREATE INDEX device_authorizations_by_expiry ON device_authorizations (expires_at);
      CREATE INDEX audit_log_by_time ON audit_log (at);
      CREATE TABLE job_leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      -- Each export of old audit rows to a file, before they are dropped. Append-only itself.
      CREATE TABLE audit_exports (
        up_to_sequence INTEGER PRIMARY KEY,
        rows INTEGER NOT NULL,
        file TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        exported_at INTEGER NOT NULL
      );
      CREATE TRIGGER audit_exports_no_update BEFORE UPDATE ON audit_exports
        BEGIN SELECT RAISE(ABORT, 'audit_exports is append-only'); END;
      CREATE TRIGGER audit_exports_no_delete BEFORE DELETE ON audit_exports
        BEGIN SELECT RAISE(ABORT, 'audit_exports is append-only'); END;
      -- The one way out of the audit log: rows already written to an export file (the retention path).
      DROP TRIGGER audit_log_no_delete;
      CREATE TRIGGER audit_log_delete_only_exported BEFORE DELETE ON audit_log
        WHEN OLD.sequence > (SELECT COALESCE(MAX(up_to_sequence), 0) FROM audit_exports)
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only exported rows may be dropped'); END;
    `,
  },
  {
    version: 3,
    description:
      'lifecycle: derived credential bindings and states, the issuer generation, CRL numbers, tenant settings',
    sql: `
      -- What binds a derived credential besides its card (cards) and enrollment: the device as the phone reported
      -- it, the tenant and issuer generation, and its state. 'expired' is not stored: it is not_after in the past.
      ALTER TABLE derived_certificates ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
      ALTER TABLE derived_certificates ADD COLUMN revocation_reason TEXT;
      ALTER TABLE derived_certificates ADD COLUMN status_changed_at INTEGER;
      ALTER TABLE derived_certificates ADD COLUMN device_id TEXT;
      ALTER TABLE derived_certificates ADD COLUMN device_platform TEXT;
      ALTER TABLE derived_certificates ADD COLUMN device_model TEXT;
      ALTER TABLE derived_certificates ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
      ALTER TABLE derived_certificates ADD COLUMN issuer_generation INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX derived_certificates_by_status ON derived_certificates (status);
      CREATE INDEX derived_certificates_by_generation ON derived_certificates (issuer_generation, status);
      -- Where the card's PIV Authentication certificate publishes its revocation (for the eligibility monitor).
      ALTER TABLE cards ADD COLUMN crl_urls TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE cards ADD COLUMN ocsp_url TEXT;
      CREATE INDEX cards_by_uuid ON cards (uuid);
      CREATE INDEX cards_by_fascn ON cards (fascn_hex);
      -- One row per issuer generation: its CA and CRL numbering. state_version counts the revocation-state changes
      -- of its credentials; the CRL is out of date while published_state_version lags behind it.
      CREATE TABLE issuer_generations (
        generation INTEGER PRIMARY KEY,
        ca_certificate_der BLOB NOT NULL,
        started_at INTEGER NOT NULL,
        retired_at INTEGER,
        state_version INTEGER NOT NULL DEFAULT 0,
        crl_number INTEGER NOT NULL DEFAULT 0,
        published_crl_number INTEGER NOT NULL DEFAULT 0,
        published_state_version INTEGER NOT NULL DEFAULT -1,
        crl_der BLOB,
        crl_this_update INTEGER,
        crl_next_update INTEGER
      );
      CREATE TABLE tenant_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      `,
  },
  {
    version: 5,
    description:
      'device pairing: what the phone reported, which sign-in showed it, when the phone fetched its enrollment',
    sql: `
      ALTER TABLE device_authorizations ADD COLUMN device_platform TEXT;
      ALTER TABLE device_authorizations ADD COLUMN device_model TEXT;
      ALTER TABLE device_authorizations ADD COLUMN app_name TEXT;
      ALTER TABLE device_authorizations ADD COLUMN app_version TEXT;
      ALTER TABLE device_authorizations ADD COLUMN pairing_session_id TEXT;
      ALTER TABLE device_authorizations ADD COLUMN pairing_shown_at INTEGER;
      ALTER TABLE enrollments ADD COLUMN phone_fetched_at INTEGER;
    `,
  },
  {
    version: 6,
    description: 'card eligibility: when each linked card was last re-checked (CRL/OCSP), the verdict, the next check',
    sql: `
      -- One row per card the monitor has looked at (issuer/eligibility/). verdict: good | revoked | unknown.
      -- action_done_at: when the tenant's policy for a revoked card was applied (null: still to do, retried).
      CREATE TABLE card_eligibility (
        card_id TEXT PRIMARY KEY REFERENCES cards (id),
        checked_at INTEGER NOT NULL,
        verdict TEXT NOT NULL,
        detail TEXT NOT NULL,
        next_check_at INTEGER,
        unknown_since INTEGER,
        action_done_at INTEGER
      );
    `,
  },
  {
    version: 9,
    description: 'this PC (dck pc): the key protection of a derived credential whose device is a PC',
    sql: `
      -- 'tpm' | 'software' for a credential a card sign-in authorized for one PC (issuer/pc/); null for a phone.
      -- The PC itself is an approved device authorization (client 'dck-pc') with a completed enrollment, so the
      -- binding record, CRL/OCSP, renewal and notifications treat it as they treat a phone.
      ALTER TABLE derived_certificates ADD COLUMN key_protection TEXT;
    `,
  },
  {
    version: 8,
    description:
      'tamper-evident audit log (a hash chain per writing process, its heads, retention checkpoints); kiosk identities',
    sql: `
      -- Each row written from now on carries its chain (one per writing process: issuer/README.md "Tamper-evident
      -- audit log"), its place in that chain, the previous row's hash and its own.
      ALTER TABLE audit_log ADD COLUMN chain_id TEXT;
      ALTER TABLE audit_log ADD COLUMN chain_sequence INTEGER;
      ALTER TABLE audit_log ADD COLUMN previous_hash TEXT;
      ALTER TABLE audit_log ADD COLUMN hash TEXT;
      CREATE UNIQUE INDEX audit_log_by_chain ON audit_log (chain_id, chain_sequence);
      -- One row per chain: who writes it and its head (the last row written), so a deleted tail shows.
      CREATE TABLE audit_chains (
        chain_id TEXT PRIMARY KEY,
        writer TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        head_sequence INTEGER NOT NULL,
        head_hash TEXT NOT NULL
      );
      -- The rows written before this migration, sealed once (hashed in sequence order) by the process that applied it.
      CREATE TABLE audit_chain_genesis (
        up_to_sequence INTEGER PRIMARY KEY,
        rows INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        sealed_at INTEGER NOT NULL
      );
      -- Where verification starts again after the retention dropped a chain's oldest rows: its last dropped row.
      CREATE TABLE audit_checkpoints (
        chain_id TEXT NOT NULL,
        chain_sequence INTEGER NOT NULL,
        hash TEXT NOT NULL,
        up_to_sequence INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (chain_id, chain_sequence)
      );
      CREATE TRIGGER audit_chains_head_only_forward BEFORE UPDATE ON audit_chains
        WHEN NEW.chain_id <> OLD.chain_id OR NEW.writer <> OLD.writer OR NEW.started_at <> OLD.started_at
          OR NEW.head_sequence <> OLD.head_sequence + 1
        BEGIN SELECT RAISE(ABORT, 'audit_chains: a head only moves one row forward'); END;
      CREATE TRIGGER audit_chains_no_delete BEFORE DELETE ON audit_chains
        BEGIN SELECT RAISE(ABORT, 'audit_chains is append-only'); END;
      CREATE TRIGGER audit_chain_genesis_no_update BEFORE UPDATE ON audit_chain_genesis
        BEGIN SELECT RAISE(ABORT, 'audit_chain_genesis is append-only'); END;
      CREATE TRIGGER audit_chain_genesis_no_delete BEFORE DELETE ON audit_chain_genesis
        BEGIN SELECT RAISE(ABORT, 'audit_chain_genesis is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      -- Kiosks an administrator registered (issuer/kiosks/): the Ed25519 public key (SPKI DER) their heartbeats are
      -- signed with, whether revoked, and the last heartbeat: when the kiosk sent it (each must be later: no replay),
      -- when it arrived, and its report (states and error codes, bounded by the route's schema).
      CREATE TABLE kiosks (
        name TEXT PRIMARY KEY,
        public_key_der BLOB NOT NULL,
        fingerprint TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        registered_by TEXT NOT NULL,
        revoked_at INTEGER,
        last_sent_at INTEGER,
        last_seen_at INTEGER,
        last_report TEXT
      );
    `,
  },
  {
    version: 4,
    description: 'notification outbox (issue 10 §5): messages queued with the change they report, sent by one process',
    sql: `
      -- One row per message. idempotency_key (e.g. 'issued:<serial>') makes queuing the same fact twice a no-op;
      -- claimed_by/claimed_until is the per-row lease a sender takes before it talks to the mail server.
      CREATE TABLE notification_outbox (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        card_id TEXT NOT NULL REFERENCES cards (id),
        derived_serial_hex TEXT,
        facts TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        claimed_by TEXT,
        claimed_until INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at);
      CREATE INDEX notification_outbox_by_serial ON notification_outbox (derived_serial_hex);
    `,
  },
  {
    version: 10,
    description: "binding records: the device as the person confirmed it at the kiosk, or 'unconfirmed' (issue 10 §3)",
    sql: `
      -- confirmed-at-kiosk: platform and model are the phone's report the person confirmed with number matching;
      -- unconfirmed: they are not (every row before this migration took them from the redeem body).
      ALTER TABLE derived_certificates ADD COLUMN device_source TEXT NOT NULL DEFAULT 'unconfirmed';
    `,
  },
  {
    version: 7,
    description:
      'help-desk agent console: role assignments, agent sessions, four-eyes revocation requests, supervised issuance',
    sql: `
      -- The tenant's roles (issuer/agent/agent-roles.ts): a card named by its UUID, FASC-N (hex) or subject DN holds a
      -- role. The one home of who may do what at the console; changed only with an audit row.
      CREATE TABLE agent_roles (
        identity_kind TEXT NOT NULL,
        identity_value TEXT NOT NULL,
        role TEXT NOT NULL,
        granted_at INTEGER NOT NULL,
        granted_by TEXT NOT NULL,
        PRIMARY KEY (identity_kind, identity_value, role)
      );
      -- A signed-in agent (PKI-AUTH with the agent's own card). Only the token's SHA-256 is kept. idle_expires_at
      -- moves with every accepted call; expires_at caps the session; ended_at: signed out.
      CREATE TABLE agent_sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        card_id TEXT NOT NULL REFERENCES cards (id),
        created_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ended_at INTEGER
      );
      CREATE INDEX agent_sessions_by_expiry ON agent_sessions (expires_at);
      -- Four-eyes revocation (tenant setting validateCancellation): a helpdesk agent's revocation waits here for
      -- another agent, an approver. target_kind: credential (target = serial) or card (target = card id: a leaver).
      CREATE TABLE revocation_requests (
        id TEXT PRIMARY KEY,
        target_kind TEXT NOT NULL,
        target TEXT NOT NULL,
        card_id TEXT NOT NULL REFERENCES cards (id),
        reason TEXT NOT NULL,
        note TEXT NOT NULL,
        requested_by_card_id TEXT NOT NULL REFERENCES cards (id),
        requested_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        decided_by_card_id TEXT REFERENCES cards (id),
        decided_at INTEGER
      );
      CREATE INDEX revocation_requests_by_status ON revocation_requests (status, requested_at);
      -- Supervised issuance (tenant setting supervision = agent-affirms): the fingerprint of the key the phone asked
      -- a certificate for, and the agent's affirmation of it (issuer/agent/supervised-issuance.ts).
      ALTER TABLE enrollments ADD COLUMN supervision_key_fingerprint TEXT;
      ALTER TABLE enrollments ADD COLUMN affirmed_fingerprint TEXT;
      ALTER TABLE enrollments ADD COLUMN affirmed_by_card_id TEXT;
      ALTER TABLE enrollments ADD COLUMN affirmed_at INTEGER;
      CREATE INDEX enrollments_by_created ON enrollments (created_at);
      CREATE INDEX cards_by_serial ON cards (serial_number_hex);
    `,
  },
  {
    version: 11,
    description:
      'kiosks sign their enrollment calls (the nonces they used, the kiosk that approved an enrollment); card e-mail',
    sql: `
      -- A signed kiosk call's nonce (issuer/kiosks/kiosk-request.ts), kept for the signature window: a second call
      -- with it is a replay. Rows past keep_until are dropped when the kiosk next calls.
      CREATE TABLE kiosk_request_nonces (
        kiosk_name TEXT NOT NULL,
        nonce TEXT NOT NULL,
        keep_until INTEGER NOT NULL,
        PRIMARY KEY (kiosk_name, nonce)
      );
      CREATE INDEX kiosk_request_nonces_by_expiry ON kiosk_request_nonces (keep_until);
      -- The registered kiosk whose signed call approved the enrollment (null: unsigned, kioskSignatures optional).
      ALTER TABLE enrollments ADD COLUMN kiosk_id TEXT;
      -- The card certificate's e-mail address (SAN rfc822Name), lower case, for the agents' look-up by e-mail
      -- (issuer/agent/person-lookup.ts); written at each sign-in, so a card from before this migration has none yet.
      ALTER TABLE cards ADD COLUMN email TEXT;
      CREATE INDEX cards_by_email ON cards (email);
    `,
  },
  {
    version: 12,
    description: 'a kiosk session opened by a signed PKI-AUTH answer is bound to that kiosk',
    sql: `
      -- The registered kiosk whose signed answer opened the session (issuer/kiosks/kiosk-request.ts): a signed call
      -- from another kiosk, or an unsigned one, on that session is refused. Null: opened unsigned, not bound.
      ALTER TABLE kiosk_sessions ADD COLUMN signed_kiosk_id TEXT;
    `,
  },
  {
    version: 13,
    description: 'the purge finds unfinished enrollments and unreferenced sessions and device authorizations by index',
    sql: `
      -- How many enrollments refer to the row, kept by the triggers below in the statement that inserts or deletes
      -- the enrollment. Completed enrollments are kept for ever, so their sessions and device authorizations are
      -- past the purge's cutoff for ever too: found by expiry alone, every purge round walked all of them inside its
      -- write transaction (bench/issuer-purge.ts). The partial indexes hold only the rows no enrollment refers to.
      ALTER TABLE kiosk_sessions ADD COLUMN enrollment_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE device_authorizations ADD COLUMN enrollment_count INTEGER NOT NULL DEFAULT 0;
      UPDATE kiosk_sessions SET enrollment_count =
        (SELECT count(*) FROM enrollments e WHERE e.kiosk_session_id = kiosk_sessions.id)
        WHERE id IN (SELECT kiosk_session_id FROM enrollments);
      UPDATE device_authorizations SET enrollment_count = 1
        WHERE id IN (SELECT device_authorization_id FROM enrollments);
      CREATE INDEX kiosk_sessions_unenrolled_by_expiry ON kiosk_sessions (expires_at) WHERE enrollment_count = 0;
      CREATE INDEX device_authorizations_unenrolled_by_expiry ON device_authorizations (expires_at)
        WHERE enrollment_count = 0;
      -- Likewise the unfinished enrollments the purge looks for: completed ones, all past their OTP's expiry, were
      -- read on every round too.
      CREATE INDEX enrollments_unfinished_by_otp_expiry ON enrollments (otp_expires_at) WHERE status <> 'completed';
      -- The purge was their only reader.
      DROP INDEX kiosk_sessions_by_expiry;
      DROP INDEX device_authorizations_by_expiry;
      CREATE TRIGGER enrollments_counted_on_insert AFTER INSERT ON enrollments BEGIN
        UPDATE kiosk_sessions SET enrollment_count = enrollment_count + 1 WHERE id = NEW.kiosk_session_id;
        UPDATE device_authorizations SET enrollment_count = enrollment_count + 1
          WHERE id = NEW.device_authorization_id;
      END;
      CREATE TRIGGER enrollments_counted_on_delete AFTER DELETE ON enrollments BEGIN
        UPDATE kiosk_sessions SET enrollment_count = enrollment_count - 1 WHERE id = OLD.kiosk_session_id;
        UPDATE device_authorizations SET enrollment_count = enrollment_count - 1
          WHERE id = OLD.device_authorization_id;
      END;
      -- The counts hold only while an enrollment's session and device authorization never change (no code moves them).
      CREATE TRIGGER enrollments_references_fixed BEFORE UPDATE OF kiosk_session_id, device_authorization_id
        ON enrollments
        WHEN NEW.kiosk_session_id IS NOT OLD.kiosk_session_id
          OR NEW.device_authorization_id IS NOT OLD.device_authorization_id
      BEGIN
        SELECT RAISE(ABORT, 'enrollments: an enrollment keeps its session and device authorization');
      END;
    `,
  },
  {
    version: 15,
    description: 'the card monitor reads the due cards by index, not a walk of every linked card each tick',
    sql: `
      -- Each tick the card monitor walked every linked card to find the due ones (issue 15: 1,000,000 cards between
      -- checks, 1,000,000 rows read in 201 pages, 15.7 s and 8.6 s of CPU on SQLite, every 5 minutes on the lease
      -- holder: bench/eligibility-monitor.ts --none-due). Now each kind of due card has its index
      -- (storage/due-cards-sql.ts): a card checked before by its next check time (schedule.ts's nextCheckAt, stored
      -- with its verdict); a card never checked by its first certificate's issue time, kept here until its first
      -- verdict. The first check is that time + eligibility.firstCheckAfterSeconds, a setting the monitor applies
      -- when it reads (schedule.ts firstCheckIssuedBy), so a changed setting holds for cards already enrolled.
      CREATE TABLE card_first_checks (
        card_id TEXT PRIMARY KEY REFERENCES cards (id),
        first_issued_at INTEGER NOT NULL
      );
      CREATE INDEX card_first_checks_by_issue ON card_first_checks (first_issued_at, card_id);
      CREATE INDEX card_eligibility_by_next_check ON card_eligibility (next_check_at, card_id);
      -- The revoked cards whose tenant policy is still to apply (failed, or the process stopped in between): few.
      CREATE INDEX card_eligibility_action_pending ON card_eligibility (card_id)
        WHERE verdict = 'revoked' AND action_done_at IS NULL;
      -- The cards never checked, from their earliest certificate: the monitor decides by the earliest one still
      -- valid (schedule.ts), so an entry may be early, never late, and a card with no valid certificate left is taken
      -- off the schedule when it is first met. No status column here: a database may apply this before migration 3.
      INSERT INTO card_first_checks (card_id, first_issued_at)
        SELECT d.card_id, MIN(d.issued_at) FROM derived_certificates d JOIN cards c ON c.id = d.card_id
        WHERE NOT EXISTS (SELECT 1 FROM card_eligibility e WHERE e.card_id = d.card_id)
        GROUP BY d.card_id;
      -- A certificate issued for a card never checked schedules its first check (an earlier entry stays: the monitor
      -- decides by the card's earliest valid certificate). For a card checked before that the monitor took off the
      -- schedule (no valid certificate left when it was due: unscheduleUnlinkedCards), its check is due at once, as
      -- the walk found it then, its last check time long past.
      CREATE TRIGGER derived_certificates_schedule_checks AFTER INSERT ON derived_certificates BEGIN
        INSERT OR IGNORE INTO card_first_checks (card_id, first_issued_at)
          SELECT NEW.card_id, NEW.issued_at
          WHERE NOT EXISTS (SELECT 1 FROM card_eligibility WHERE card_id = NEW.card_id);
        UPDATE card_eligibility SET next_check_at = NEW.issued_at
          WHERE card_id = NEW.card_id AND next_check_at IS NULL AND verdict <> 'revoked';
      END;
      -- Its first verdict is written: from now on its next check time schedules it.
      CREATE TRIGGER card_eligibility_first_check_done AFTER INSERT ON card_eligibility BEGIN
        DELETE FROM card_first_checks WHERE card_id = NEW.card_id;
      END;
    `,
  },
];
