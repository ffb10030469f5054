// The states of a derived credential and the only ways between them (no Fastify, no HTTP: the admin commands, the
// eligibility monitor and the help-desk console call these). Each change and its audit row (who, why) are one
// transaction in storage; a refused change writes nothing and says why in a LifecycleError.
//
//   active ──suspend (certificateHold)──▶ suspended ──resume──▶ active
//   active | suspended ──revoke (RFC 5280 reason)──▶ revoked   (final)
//   any but revoked ──notAfter passes──▶ expired               (read from the date, never stored)
import type { RevocationReason } from './revocation-reason.ts';
import { FINAL_REVOCATION_REASONS, isRevocationReason } from './revocation-reason.ts';
import type {
  AuditEntryInput,
  CredentialStateChange,
  DerivedCertificateRecord,
  IssuerStorage,
  NoticesFor,
  StoredCredentialStatus,
} from '../storage/issuer-storage.ts';
import { credentialRevokedNotices } from '../notifications/notices.ts';
import type { NotificationType } from './tenant-settings.ts';
import { isTypedText } from '../typed-text.ts';

export type CredentialState = 'active' | 'suspended' | 'revoked' | 'expired';

/** Error codes of this module, for the issuer's error table (status + sentence) when admin routes arrive. */
export const LIFECYCLE_ERROR_CODES = [
  'credential-unknown',
  'credential-revoked',
  'credential-suspended',
  'credential-not-suspended',
  'credential-expired',
  'revocation-reason-invalid',
  'actor-invalid',
  'note-invalid',
] as const;
export type LifecycleErrorCode = (typeof LIFECYCLE_ERROR_CODES)[number];

export class LifecycleError extends Error {
  constructor(
    readonly code: LifecycleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LifecycleError';
  }
}

/** Who asked for a change: an administrator (CLI), a help-desk agent, the eligibility monitor, or the issuer itself. */
export interface LifecycleActor {
  /** `device`: a PC revoking its own credential, signed by that credential's key (issuer/pc/). */
  kind: 'admin' | 'agent' | 'monitor' | 'issuer' | 'device';
  id: string;
}

export interface LifecycleDeps {
  storage: IssuerStorage;
  now: () => Date;
  /** Told after every change that alters the CRL (the issuer regenerates it); a failure there is its own business. */
  afterRevocationChange?: () => void;
  /**
   * The tenant's `notificationTypes` now (lifecycle/tenant-settings.ts), read at each change: a revocation queues
   * the holder's notice in its own transaction when it includes email. Absent only where no holder is to be told
   * (unit tests of the states).
   */
  notificationTypes?: () => Promise<NotificationType>;
}

/** The holder's notice of a revocation (none without notification settings). */
async function revokedNotices(
  deps: LifecycleDeps,
  reason: RevocationReason,
  at: number,
): Promise<NoticesFor | undefined> {
  if (deps.notificationTypes === undefined) return undefined;
  const types = await deps.notificationTypes();
  return (credential) => credentialRevokedNotices(types, credential, reason, at);
}

/** The state a user would see: a stored active or suspended credential past its notAfter is expired. */
export function credentialState(
  record: Pick<DerivedCertificateRecord, 'status' | 'notAfter'>,
  at: Date,
): CredentialState {
  if (record.status === 'revoked') return 'revoked';
  return record.notAfter <= at.getTime() ? 'expired' : record.status;
}

const ACTOR_ID = /^[\p{L}\p{N} ._@:-]{1,128}$/u;
const MAX_NOTE_LENGTH = 200;
const SERIAL_HEX = /^[0-9a-f]{2,64}$/;

function checkActor(actor: LifecycleActor): void {
  if (!ACTOR_ID.test(actor.id))
    throw new LifecycleError('actor-invalid', 'The actor must be named by 1–128 letters, digits, spaces or ._@:-');
}

/** A free-text note lands in the audit: one line, bounded, printable. @throws LifecycleError note-invalid */
export function checkNote(note: string | undefined): string | null {
  if (note === undefined || note === '') return null;
  if (!isTypedText(note, { min: 1, max: MAX_NOTE_LENGTH })) {
    throw new LifecycleError('note-invalid', `A note is one line of at most ${MAX_NOTE_LENGTH} printable characters.`);
  }
  return note;
}

/** Serial numbers are looked up as stored: lower-case hex, no separators (colons and spaces typed by people are dropped). */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/[\s:]/g, '').toLowerCase();
  if (!SERIAL_HEX.test(hex))
    throw new LifecycleError('credential-unknown', 'A certificate serial number is 1–32 bytes of hex.');
  return hex;
}

function refusal(
  current: DerivedCertificateRecord | null,
  serial: string,
  at: Date,
  wanted: 'revoke' | 'suspend' | 'resume',
): LifecycleError {
  if (current === null) return new LifecycleError('credential-unknown', `No derived credential with serial ${serial}.`);
  const state = credentialState(current, at);
  if (state === 'revoked')
    return new LifecycleError(
      'credential-revoked',
      `Credential ${serial} is already revoked (${current.revocationReason ?? 'unspecified'}); revocation is final.`,
    );
  if (state === 'expired')
    return new LifecycleError('credential-expired', `Credential ${serial} has expired: there is nothing to ${wanted}.`);
  if (wanted === 'resume')
    return new LifecycleError('credential-not-suspended', `Credential ${serial} is not suspended.`);
  return new LifecycleError('credential-suspended', `Credential ${serial} is already suspended.`);
}

async function change(
  deps: LifecycleDeps,
  serial: string,
  wanted: 'revoke' | 'suspend' | 'resume',
  reason: RevocationReason | null,
  actor: LifecycleActor,
  note: string | undefined,
): Promise<DerivedCertificateRecord> {
  checkActor(actor);
  const checkedNote = checkNote(note);
  const serialNumberHex = normalizeSerial(serial);
  const at = deps.now();
  const transitions: Record<typeof wanted, { from: StoredCredentialStatus[]; to: StoredCredentialStatus }> = {
    revoke: { from: ['active', 'suspended'], to: 'revoked' },
    suspend: { from: ['active'], to: 'suspended' },
    resume: { from: ['suspended'], to: 'active' },
  };
  const stateChange: CredentialStateChange = {
    serialNumberHex,
    ...transitions[wanted],
    reason,
    at: at.getTime(),
    notExpiredAt: at.getTime(),
  };
  const entry: AuditEntryInput = {
    at: at.getTime(),
    event: `credential-${wanted}`,
    outcome: 'success',
    code: reason,
    details: { serialNumberHex, actorKind: actor.kind, actor: actor.id, note: checkedNote },
  };
  const notices = wanted === 'revoke' && reason !== null ? await revokedNotices(deps, reason, at.getTime()) : undefined;
  const result = await deps.storage.changeCredentialState(stateChange, entry, notices);
  if (!result.changed) {
    const error = refusal(result.current, serialNumberHex, at, wanted);
    await deps.storage.appendAudit({ ...entry, outcome: 'failure', code: error.code });
    throw error;
  }
  deps.afterRevocationChange?.();
  return result.before;
}

/**
 * Revokes one credential for good, with an RFC 5280 reason (not certificateHold: that is `suspend`).
 * @throws LifecycleError credential-unknown | credential-revoked | credential-expired | revocation-reason-invalid | actor-invalid | note-invalid
 */
export function revokeDerivedCredential(
  deps: LifecycleDeps,
  serial: string,
  reason: string,
  actor: LifecycleActor,
  note?: string,
): Promise<DerivedCertificateRecord> {
  if (!isRevocationReason(reason) || reason === 'certificateHold') {
    return Promise.reject(
      new LifecycleError(
        'revocation-reason-invalid',
        `A revocation reason is one of: ${FINAL_REVOCATION_REASONS.join(', ')} (certificateHold: suspend instead).`,
      ),
    );
  }
  return change(deps, serial, 'revoke', reason, actor, note);
}

/** Suspends (certificateHold) an active credential. @throws LifecycleError as revokeDerivedCredential, or credential-suspended */
export function suspendDerivedCredential(
  deps: LifecycleDeps,
  serial: string,
  actor: LifecycleActor,
  note?: string,
): Promise<DerivedCertificateRecord> {
  return change(deps, serial, 'suspend', 'certificateHold', actor, note);
}

/** Lifts a suspension. @throws LifecycleError credential-not-suspended | credential-revoked | credential-expired | credential-unknown */
export function resumeDerivedCredential(
  deps: LifecycleDeps,
  serial: string,
  actor: LifecycleActor,
  note?: string,
): Promise<DerivedCertificateRecord> {
  return change(deps, serial, 'resume', null, actor, note);
}

/**
 * Revokes every active or suspended credential bound to the card (the eligibility monitor's `revoke-derived`
 * policy, a help-desk "card lost"). Returns the serials revoked; none is not an error.
 * @throws LifecycleError revocation-reason-invalid | actor-invalid
 */
export async function revokeAllForCard(
  deps: LifecycleDeps,
  cardId: string,
  reason: string,
  actor: LifecycleActor,
  note = 'every credential of the card',
): Promise<string[]> {
  checkActor(actor);
  const checkedNote = checkNote(note);
  if (!isRevocationReason(reason) || reason === 'certificateHold') {
    throw new LifecycleError(
      'revocation-reason-invalid',
      `A revocation reason is one of: ${FINAL_REVOCATION_REASONS.join(', ')}.`,
    );
  }
  const at = deps.now().getTime();
  const revoked = await deps.storage.revokeCredentials(
    { cardId },
    reason,
    at,
    (serialNumberHex) => ({
      at,
      event: 'credential-revoke',
      outcome: 'success',
      code: reason,
      details: {
        serialNumberHex,
        cardId,
        actorKind: actor.kind,
        actor: actor.id,
        note: checkedNote,
      },
    }),
    await revokedNotices(deps, reason, at),
  );
  if (revoked.length > 0) deps.afterRevocationChange?.();
  return revoked;
}
