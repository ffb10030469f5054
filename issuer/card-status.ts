// The card's status, asked again after sign-in: at approve and at redeem the stored PIV Authentication certificate
// must still be trusted, within its validity and unrevoked (CRL/OCSP no older than the tenant's
// pivTrust.revocationFreshnessSeconds). A kiosk session is 15 minutes long and an approved enrollment outlives the
// session: without this a card revoked after PKI-AUTH kept minting derived certificates. The check is PKI-AUTH's
// own (`verifyCardCertificate`) minus the signature, so it shares PKI-AUTH's parsed-certificate, path and
// revocation caches and costs little while the CRLs are unchanged.
import { derivedNotAfter } from './ca/derived-certificate.ts';
import { auditEntry } from './issuer-context.ts';
import type { IssuerContext } from './issuer-context.ts';
import type { Refusal } from './refusal.ts';
import type { CardRecord } from './storage/issuer-storage.ts';

export type CardStatusRefusal = Refusal<
  'card-revoked' | 'card-status-unavailable' | 'card-not-trusted' | 'card-expired' | 'card-expires-too-soon'
>;

/**
 * Null when the card may go on; else the refusal. A revoked card ends, in one audited transaction, every
 * session of the card and every enrollment still waiting for its phone.
 */
export async function recheckCardStatus(
  ctx: IssuerContext,
  card: CardRecord,
  step: 'approve' | 'redeem' | 'pc-enroll',
  details: Record<string, string | null>,
): Promise<CardStatusRefusal | null> {
  const verdict = await ctx.checkCardStatus(card.certificateDer, ctx.trustPolicy);
  if (verdict.ok) return null;
  switch (verdict.code) {
    case 'revoked': {
      const ended = await ctx.storage.revokeCardSessions(card.id, ctx.now().getTime(), (result) =>
        auditEntry(ctx, 'card-revoked', 'success', 'revoked', {
          ...details,
          step,
          cardId: card.id,
          cardIssuer: card.issuerDn,
          cardSerial: card.serialNumberHex,
          sessionsEnded: result.sessionsEnded,
          enrollmentsRevoked: result.revokedEnrollmentIds.length,
        }),
      );
      // Kiosks watching those enrollments learn at once that they are over.
      for (const enrollmentId of ended.revokedEnrollmentIds) ctx.events.notify(enrollmentId);
      return { code: 'card-revoked' };
    }
    case 'expired':
      return { code: 'card-expired' };
    case 'revocation-unavailable':
      // Fail closed: without a current answer the card's status is unknown, and nothing is issued.
      return { code: 'card-status-unavailable' };
    case 'bad-signature':
    case 'bad-certificate':
    case 'untrusted':
    case 'not-yet-valid':
    case 'policy-missing':
    case 'identity-missing':
      // The trust configuration changed since sign-in (anchors, policy): the card no longer qualifies.
      return { code: 'card-not-trusted', detail: `(${verdict.code})` };
  }
}

const HOUR_MS = 3_600_000;

/**
 * The card's own dates against what would be issued now: refused when the card's certificate has expired, or
 * when the derived certificate (which never outlives the card) would live less than the tenant's minimum.
 */
export function cardLifetimeRefusal(
  ctx: Pick<IssuerContext, 'config'>,
  card: CardRecord,
  now: Date,
): CardStatusRefusal | null {
  if (card.notAfter <= now.getTime()) {
    return { code: 'card-expired' };
  }
  const { lifetimeDays, minimumLifetimeHours } = ctx.config.derivedCertificate;
  const notAfter = derivedNotAfter(now, lifetimeDays, new Date(card.notAfter));
  if (notAfter.getTime() - now.getTime() < minimumLifetimeHours * HOUR_MS) {
    return {
      code: 'card-expires-too-soon',
      detail: `(It expires ${notAfter.toISOString()}; a derived credential must live at least ${minimumLifetimeHours} hours.)`,
    };
  }
  return null;
}
