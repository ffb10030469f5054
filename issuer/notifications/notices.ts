// The outbox rows of each fact worth a notice, built where the fact happens and handed to the storage call that
// records it (same transaction). Each returns [] when the tenant does not send email (its `notificationTypes`
// setting, read by the caller just before the change), so callers never branch.
//
// A state change elsewhere (revocation, issuer replacement) queues its notice the same way:
//   storage.someChange(..., audit, credentialRevokedNotices((await tenant()).notificationTypes, { ... }))
// and, in the SQLite storage, `outbox.enqueue(message)` inside that method's write transaction.
import { newRecordId } from '../secrets.ts';
import { notificationKey } from '../storage/issuer-storage.ts';
import type { CardRecord, DerivedCertificateRecord, NotificationInput } from '../storage/issuer-storage.ts';
import { sendsEmail } from '../lifecycle/tenant-settings.ts';
import type { NotificationType } from '../lifecycle/tenant-settings.ts';

type Credential = Pick<DerivedCertificateRecord, 'serialNumberHex' | 'cardId' | 'notAfter'>;

function notice(
  types: NotificationType,
  kind: NotificationInput['kind'],
  credential: Credential,
  key: string,
  facts: NotificationInput['facts'],
  at: number,
): NotificationInput[] {
  if (!sendsEmail(types)) return [];
  return [
    {
      id: newRecordId(),
      idempotencyKey: key,
      kind,
      cardId: credential.cardId,
      derivedSerialHex: credential.serialNumberHex,
      facts: {
        serialNumberHex: credential.serialNumberHex,
        notAfter: new Date(credential.notAfter).toISOString(),
        ...facts,
      },
      createdAt: at,
    },
  ];
}

/** SP 800-157r1: the cardholder is told of every derived credential issued in their name. */
export function credentialIssuedNotices(
  types: NotificationType,
  credential: Credential,
  device: string,
  at: number,
): NotificationInput[] {
  return notice(
    types,
    'credential-issued',
    credential,
    notificationKey('credential-issued', credential.serialNumberHex),
    { issuedAt: new Date(at).toISOString(), device },
    at,
  );
}

export function renewalDueNotices(types: NotificationType, credential: Credential, at: number): NotificationInput[] {
  return notice(types, 'renewal-due', credential, notificationKey('renewal-due', credential.serialNumberHex), {}, at);
}

/** `reason`: the RFC 5280 reason name (keyCompromise, superseded, …), shown as it is. */
export function credentialRevokedNotices(
  types: NotificationType,
  credential: Credential,
  reason: string,
  at: number,
): NotificationInput[] {
  return notice(
    types,
    'credential-revoked',
    credential,
    notificationKey('credential-revoked', credential.serialNumberHex),
    { revokedAt: new Date(at).toISOString(), reason },
    at,
  );
}

/** One per credential of the replaced issuer generation (`generation` keeps a later replacement's notices apart). */
export function issuerChangedNotices(
  types: NotificationType,
  credential: Credential,
  generation: number,
  at: number,
): NotificationInput[] {
  return notice(
    types,
    'issuer-changed',
    credential,
    `${notificationKey('issuer-changed', credential.serialNumberHex)}:${generation}`,
    { generation },
    at,
  );
}

/**
 * Policy `flag`: the card was found revoked, its derived credentials stay. One per card (its id keys it), whatever
 * the number of credentials, so the holder learns of the card once and can tell the help desk if it was unexpected.
 */
export function cardRevokedNotices(
  types: NotificationType,
  card: Pick<CardRecord, 'id' | 'serialNumberHex'>,
  at: number,
): NotificationInput[] {
  if (!sendsEmail(types)) return [];
  return [
    {
      id: newRecordId(),
      idempotencyKey: `card-revoked:${card.id}`,
      kind: 'card-revoked',
      cardId: card.id,
      derivedSerialHex: null,
      facts: { cardSerialNumberHex: card.serialNumberHex, foundAt: new Date(at).toISOString() },
      createdAt: at,
    },
  ];
}
