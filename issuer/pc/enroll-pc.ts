// "This PC" (issue 14): the card's sign-in (PKI-AUTH, the kiosk's own) authorizes this one device, with no phone,
// QR or OTP. The PC sends a CSR signed by the key it made in its platform store and says where that key lives
// (tpm | software); the tenant may refuse software keys. The card is checked again as it is now, the certificate is
// signed as a phone's is, and the PC is stored as a phone is after its redeem (device, enrollment, binding record),
// so CRL/OCSP, the card monitor, renewal-due and notices apply unchanged. It supersedes nothing: on renewal the PC
// revokes its old credential itself, once the new one is installed (revoke-pc-credential.ts).
//
// Limit: the key protection is what the PC reports. Proving it (TPM2_Certify under an attestation key chained to
// the TPM maker's endorsement certificate) is not done yet; the tenant's refusal stops honest software clients.
import type { PcEnrollmentRequest } from '../../contracts/issuer-api.ts';
import { activeKioskSession } from '../bearer-holders.ts';
import { checkCsr } from '../ca/csr.ts';
import { cardLifetimeRefusal, recheckCardStatus } from '../card-status.ts';
import { issuedAnswer, signForCard } from '../enrollment/issue-for-card.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { DEFAULT_TENANT, PC_CLIENT_ID, cardRevocationSources } from '../lifecycle/binding.ts';
import { renewalDueAt } from '../notifications/credential-status.ts';
import { credentialIssuedNotices } from '../notifications/notices.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { newRecordId } from '../secrets.ts';
import type { NewDerivedCertificate, PcAuthorization } from '../storage/issuer-storage.ts';

const EVENT = 'pc-enroll';

export async function enrollPc(
  ctx: IssuerContext,
  input: { sessionToken: string | null; request: PcEnrollmentRequest },
): Promise<RouteRuleResult<'pcEnrollment'>> {
  const session = await activeKioskSession(ctx, input.sessionToken);
  if (session === null) return refuse('invalid-session');
  const { request } = input;
  const details = {
    sessionId: session.id,
    cardId: session.cardId,
    deviceId: request.device.id,
    platform: request.device.platform,
    keyProtection: request.keyProtection,
  };
  if (request.keyProtection === 'software' && (await ctx.tenant()).pcSoftwareKeys === 'refuse')
    return auditedRefusal(ctx, EVENT, 'software-key-refused', details);
  const csr = checkCsr(request.csr);
  if (!csr.ok) return auditedRefusal(ctx, EVENT, csr.code, details, { detail: csr.message });
  const card = await ctx.storage.findCard(session.cardId);
  if (card?.uuid == null) return auditedRefusal(ctx, EVENT, 'identity-missing', details);
  const now = ctx.now();
  const cardRefusal =
    cardLifetimeRefusal(ctx, card, now) ?? (await recheckCardStatus(ctx, card, 'pc-enroll', { sessionId: session.id }));
  if (cardRefusal !== null)
    return auditedRefusal(ctx, EVENT, cardRefusal.code, details, { detail: cardRefusal.detail });

  const issued = await signForCard(ctx, { ...card, uuid: card.uuid }, csr.subjectPublicKeySpkiDer, now);
  const authorization: PcAuthorization = {
    deviceAuthorizationId: newRecordId(),
    enrollmentId: newRecordId(),
    sessionId: session.id,
    cardId: card.id,
    at: now.getTime(),
    platform: request.device.platform,
    model: request.device.model ?? null,
  };
  const derived: NewDerivedCertificate = {
    serialNumberHex: issued.serialNumberHex,
    cardId: card.id,
    deviceAuthorizationId: authorization.deviceAuthorizationId,
    enrollmentId: authorization.enrollmentId,
    certificateDer: issued.certificateDer,
    notBefore: issued.notBefore.getTime(),
    notAfter: issued.notAfter.getTime(),
    issuedAt: now.getTime(),
    // What the PC itself reported in its signed-in request; no person confirmed it at a kiosk.
    device: {
      id: request.device.id,
      platform: authorization.platform,
      model: authorization.model,
      source: 'unconfirmed',
    },
    tenant: DEFAULT_TENANT,
    issuerGeneration: ctx.issuerGeneration,
    cardRevocationSources: cardRevocationSources(card.certificateDer),
    keyProtection: request.keyProtection,
  };
  const result = await ctx.storage.enrollPc(
    authorization,
    derived,
    ctx.config.pkiAuth.maxApprovalsPerSession,
    auditEntry(ctx, EVENT, 'success', null, {
      ...details,
      enrollmentId: authorization.enrollmentId,
      deviceAuthorizationId: authorization.deviceAuthorizationId,
      derivedSerial: issued.serialNumberHex,
      keyAlgorithm: csr.keyAlgorithm,
      notAfter: issued.notAfter.toISOString(),
    }),
    credentialIssuedNotices((await ctx.tenant()).notificationTypes, derived, PC_CLIENT_ID, now.getTime()),
  );
  if (!result.enrolled)
    return auditedRefusal(
      ctx,
      EVENT,
      result.reason === 'generation-retired' ? 'issuer-replaced' : 'session-approval-limit',
      details,
    );
  const { renewalThresholdPercent } = await ctx.tenant();
  const dueAt = renewalDueAt(derived.notBefore, derived.notAfter, renewalThresholdPercent);
  return ok({ ...issuedAnswer(ctx, issued), renewalDueAt: new Date(dueAt).toISOString() });
}
