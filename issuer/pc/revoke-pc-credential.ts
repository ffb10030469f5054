// A PC gives up its derived credential (`dck pc remove`; the old one after `dck pc renew` installed the new one; one
// whose install failed): its own key signs pcRevocationMessage over a fresh PKI-AUTH challenge
// (contracts/pc-revocation-message.ts), so only the PC holding the key can ask, and it needs no card (which may be
// lost or handed back). The challenge is used up whatever the verdict, with the audit row saying why.
import { X509Certificate, verify } from 'node:crypto';
import type { PcRevocationCause, PcRevocationRequest } from '../../contracts/issuer-api.ts';
import { pcRevocationMessage } from '../../contracts/pc-revocation-message.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { LifecycleError, credentialState, revokeDerivedCredential } from '../lifecycle/credential-state.ts';
import type { RevocationReason } from '../lifecycle/revocation-reason.ts';
import { credentialStatus } from '../notifications/credential-status.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { DerivedCertificateRecord } from '../storage/issuer-storage.ts';

const EVENT = 'pc-revoke';
/** RFC 5280 §5.3.1: a renewal's old credential is superseded; a removed PC or a failed install ceased operation. */
const REASONS: Record<PcRevocationCause, RevocationReason> = {
  removed: 'cessationOfOperation',
  renewed: 'superseded',
  'install-failed': 'cessationOfOperation',
};

export async function revokePcCredential(
  ctx: IssuerContext,
  input: { serialNumberHex: string; request: PcRevocationRequest; ip: string },
): Promise<RouteRuleResult<'pcRevocation'>> {
  const { serialNumberHex, request } = input;
  const now = ctx.now();
  const details = { challengeId: request.challengeId, serialNumberHex, cause: request.cause, ip: input.ip };
  const challenge = await ctx.storage.findChallenge(request.challengeId);
  if (challenge === null) return auditedRefusal(ctx, EVENT, 'challenge-unknown', details);
  if (challenge.usedAt !== null) return auditedRefusal(ctx, EVENT, 'challenge-used', details);
  if (now.getTime() >= challenge.expiresAt) return auditedRefusal(ctx, EVENT, 'challenge-expired', details);
  const credential = await ctx.storage.findDerivedCertificate(serialNumberHex);
  const signature = Buffer.from(request.signature, 'base64url');
  const message = pcRevocationMessage(challenge.challenge, serialNumberHex, request.cause);
  const refusal = requestRefusal(credential, message, signature, now);
  const consumed = await ctx.storage.consumeChallenge(
    challenge.id,
    now.getTime(),
    auditEntry(ctx, EVENT, refusal === null ? 'success' : 'failure', refusal, {
      ...details,
      deviceId: credential?.device.id ?? null,
    }),
  );
  if (!consumed) return auditedRefusal(ctx, EVENT, 'challenge-used', details);
  if (refusal !== null || credential === null) return refuse(refusal ?? 'credential-unknown');
  try {
    await revokeDerivedCredential(
      {
        storage: ctx.storage,
        now: ctx.now,
        afterRevocationChange: () => {
          ctx.crl.refresh().catch(() => {
            process.emitWarning('derived CRL not regenerated after a PC revocation; the next check does it');
          });
        },
        // The holder hears of a removal (someone with this PC's key asked); a renewal or a failed install is theirs.
        ...(request.cause === 'removed'
          ? { notificationTypes: async () => (await ctx.tenant()).notificationTypes }
          : {}),
      },
      serialNumberHex,
      REASONS[request.cause],
      { kind: 'device', id: credential.device.id ?? 'pc' },
      `dck pc: ${request.cause}`,
    );
    const revoked = (await ctx.storage.findDerivedCertificate(serialNumberHex)) ?? credential;
    return ok(credentialStatus(revoked, await ctx.tenant(), now.getTime()));
  } catch (error: unknown) {
    // Revoked or expired between the check and the change (another request won): the same answer as before it.
    if (error instanceof LifecycleError) return auditedRefusal(ctx, EVENT, 'credential-not-active', details);
    throw error;
  }
}

/** Why this signed request cannot revoke the credential, or null when it can. */
function requestRefusal(
  credential: DerivedCertificateRecord | null,
  message: ReturnType<typeof pcRevocationMessage>,
  signature: Uint8Array,
  now: Date,
): 'credential-unknown' | 'device-signature-invalid' | 'credential-not-active' | null {
  // Only a PC's credential (it has a key protection) is revocable by its key: a phone's is not, through this route.
  if (credential === null || credential.keyProtection == null) return 'credential-unknown';
  if (!signedByCredentialKey(credential, message, signature)) return 'device-signature-invalid';
  const state = credentialState(credential, now);
  return state === 'revoked' || state === 'expired' ? 'credential-not-active' : null;
}

/** ECDSA (r ‖ s) by the key of the credential's own certificate over the message; false for anything malformed. */
function signedByCredentialKey(
  credential: DerivedCertificateRecord,
  built: ReturnType<typeof pcRevocationMessage>,
  signature: Uint8Array,
): boolean {
  if (!built.ok) return false;
  try {
    const key = new X509Certificate(credential.certificateDer).publicKey;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== 'ec' || (curve !== 'prime256v1' && curve !== 'secp384r1')) return false;
    const hash = curve === 'secp384r1' ? 'sha384' : 'sha256';
    return verify(hash, built.message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
