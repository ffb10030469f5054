// What happens to a card the monitor found revoked, by the tenant's policy `onCardRevoked` (the tenant setting in the
// database; `eligibility.onCardRevoked` in the config file only seeds its default):
// - both policies: the card mints nothing more — its kiosk sessions and enrollments still waiting for a phone end,
//   as at approve and redeem (card-status.ts), in one audited transaction;
// - `revoke-derived`: every derived credential bound to the card is revoked (issue 10 §3's `revokeAllForCard`);
// - `flag`: nothing is revoked (SP 800-157r1: the credential follows the person's eligibility, not the card's; revoked
//   on account termination). The verdict is recorded and audited by the monitor, which also tells the administrator
//   (one log line per run with the count, and the audit rows naming each card); the holder is told by email (a
//   `card-revoked` notice, one per card, when the tenant's notificationTypes include email): someone whose card was
//   revoked without their knowing (stolen, mistaken) is the one who can say so.
// The monitor calls this once per card and records it done only when it returns; a throw is retried next run, so
// every step here must be idempotent.
import type { IssuerConfig } from '../config.ts';
import type { NotificationType } from '../lifecycle/tenant-settings.ts';
import { cardRevokedNotices } from '../notifications/notices.ts';
import type { CardRecord, IssuerStorage } from '../storage/issuer-storage.ts';
import type { CardVerdict } from './card-revocation-oracle.ts';

/** `policy`: the tenant's, as the monitor read it at the start of its run. */
export type OnCardRevoked = (card: CardRecord, verdict: CardVerdict, policy: CardRevokedPolicy) => Promise<void>;
export type CardRevokedPolicy = IssuerConfig['eligibility']['onCardRevoked'];

/** Who the audit and the lifecycle records name as having acted. */
export const ELIGIBILITY_ACTOR = 'eligibility-monitor';
/** RFC 5280 CRLReason for a derived credential whose card lost its eligibility. */
export const CARD_REVOKED_REASON = 'privilegeWithdrawn';

/** Revokes every derived credential of a card (the lifecycle's, issuer/lifecycle/): idempotent. */
export type RevokeAllForCard = (cardId: string, reason: typeof CARD_REVOKED_REASON, actor: string) => Promise<unknown>;

export interface CardRevokedActionOptions {
  readonly storage: Pick<IssuerStorage, 'revokeCardSessions' | 'queueNotification'>;
  readonly revokeAllForCard: RevokeAllForCard;
  readonly now: () => Date;
  /** The tenant's notificationTypes now; absent → the holder is not told under `flag` (the benchmark). */
  readonly notificationTypes?: () => Promise<NotificationType>;
}

/** `flag`: the holder's `card-revoked` notice, queued once per card (the idempotency key; the action may be retried). */
async function tellHolder(options: CardRevokedActionOptions, card: CardRecord, at: number): Promise<void> {
  if (options.notificationTypes === undefined) return;
  for (const message of cardRevokedNotices(await options.notificationTypes(), card, at)) {
    await options.storage.queueNotification(message, {
      at,
      event: 'card-eligibility',
      outcome: 'success',
      code: 'holder-notice-queued',
      details: { cardId: card.id, cardSerial: card.serialNumberHex, policy: 'flag', notificationId: message.id },
    });
  }
}

export function cardRevokedAction(options: CardRevokedActionOptions): OnCardRevoked {
  return async (card, verdict, policy) => {
    const at = options.now().getTime();
    await options.storage.revokeCardSessions(card.id, at, (result) => ({
      at,
      event: 'card-revoked',
      outcome: 'success',
      code: 'revoked',
      details: {
        step: 'eligibility',
        cardId: card.id,
        cardIssuer: card.issuerDn,
        cardSerial: card.serialNumberHex,
        source: verdict.detail.slice(0, 200),
        sessionsEnded: result.sessionsEnded,
        enrollmentsRevoked: result.revokedEnrollmentIds.length,
      },
    }));
    if (policy === 'revoke-derived') await options.revokeAllForCard(card.id, CARD_REVOKED_REASON, ELIGIBILITY_ACTOR);
    else await tellHolder(options, card, at);
  };
}
