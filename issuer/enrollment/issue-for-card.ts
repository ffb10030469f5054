// The one way a derived PIV Authentication certificate is signed for a signed-in card's cardholder, and the answer
// that carries it: a phone's redeem (redeem.ts) and a PC's enrollment (issuer/pc/enroll-pc.ts) both come here.
import type { RedeemResponse } from '../../contracts/issuer-api.ts';
import { issueDerivedCertificate } from '../ca/derived-certificate.ts';
import type { IssuedCertificate } from '../ca/derived-certificate.ts';
import { derToPem } from '../ca/pem.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { revocationUrls } from '../lifecycle/revocation-urls.ts';
import type { CardRecord } from '../storage/issuer-storage.ts';

/** Signs (policy id-fpki-common-derived-pivAuth, lifetime from the tenant, never past the card's certificate). */
export async function signForCard(
  ctx: IssuerContext,
  card: CardRecord & { uuid: string },
  subjectPublicKeySpkiDer: Uint8Array,
  now: Date,
): Promise<IssuedCertificate> {
  return issueDerivedCertificate(ctx.ca, {
    subjectPublicKeySpkiDer,
    cardholderCommonName: card.commonName,
    cardholderUuid: card.uuid,
    cardCertificateNotAfter: new Date(card.notAfter),
    lifetimeDays: (await ctx.tenant()).derivedCertificateLifetimeDays,
    now,
    revocationUrls: revocationUrls(ctx.baseUrl, ctx.issuerGeneration),
  });
}

/** The certificate, its chain (nearest first) and its serial and expiry, as the client installs them. */
export function issuedAnswer(ctx: Pick<IssuerContext, 'ca'>, issued: IssuedCertificate): RedeemResponse {
  return {
    certificatePem: derToPem(issued.certificateDer),
    chainPem: ctx.ca.chainDer.map((der) => derToPem(der)),
    serialNumberHex: issued.serialNumberHex,
    notAfter: issued.notAfter.toISOString(),
  };
}
