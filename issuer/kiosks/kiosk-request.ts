// Which registered kiosk made a call that starts or renews an enrollment (PKI-AUTH challenge and response, approve,
// refresh): the call's x-dck-kiosk-signature header (contracts/kiosk-signature.ts) is checked by the one kiosk
// signature check (kiosk-signature.ts), and its nonce is used up (one conditional insert over every worker, kept
// for the window: a replay within the window finds it, one after the window is stale). Unsigned calls pass while the
// tenant's `kioskSignatures` is `optional` (deployments from before kiosk identities); with `required` they are
// refused. A header that is present is checked whatever the setting: a bad one is never ignored.
// A session opened by a signed PKI-AUTH answer belongs to that kiosk (kiosk_sessions.signed_kiosk_id): its approve and
// refresh must be signed by the same kiosk, else `kiosk-session-mismatch` (sessionKioskRefusal). Unsigned calls are
// refused on it too, whatever the setting: else a token that leaked to another machine would work by dropping the
// header. A session opened unsigned (kioskSignatures optional) is bound to no kiosk and takes calls as before.
import {
  KIOSK_SIGNATURE_WINDOW_MS,
  kioskRequestMessage,
  parseKioskSignatureHeader,
} from '../../contracts/kiosk-signature.ts';
import type { SignedRequestParts } from '../../contracts/kiosk-signature.ts';
import type { KIOSK_SIGNATURE_ERROR_CODES } from '../../contracts/issuer-routes.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { Refusal, RuleResult } from '../refusal.ts';
import type { KioskSessionRecord } from '../storage/issuer-storage.ts';
import { verifyKioskSignature } from './kiosk-signature.ts';

/** A call as the issuer received it: its signature header (null: none) and what the signature covers. */
export interface KioskRequestProof extends SignedRequestParts {
  readonly header: string | null;
}

/** The codes of contracts/issuer-routes.ts KIOSK_SIGNATURE_ERROR_CODES: each route checked here lists them. */
export type KioskRequestRefusalCode = (typeof KIOSK_SIGNATURE_ERROR_CODES)[number];
type KioskSignedRefusalCode = Exclude<KioskRequestRefusalCode, 'kiosk-signature-required'>;

type Context = Pick<IssuerContext, 'storage' | 'now' | 'audit' | 'tenant'>;

/**
 * The verified kiosk's name, or null for an unsigned call the tenant still allows. Refusals are audited under
 * `event` with the claimed kiosk and the caller's address.
 */
export async function signingKiosk(
  ctx: Context,
  event: string,
  proof: KioskRequestProof,
  ip: string,
): Promise<RuleResult<string | null, KioskRequestRefusalCode>> {
  if (proof.header !== null) return verifiedSigner(ctx, event, proof.header, proof, ip);
  if ((await ctx.tenant()).kioskSignatures === 'required')
    return auditedRefusal(ctx, event, 'kiosk-signature-required', { path: proof.path, ip });
  return ok(null);
}

/**
 * As signingKiosk, but an unsigned call passes whatever the tenant says: the PKI-AUTH challenge, which the agent
 * console (no kiosk) asks for too. It grants nothing by itself; the answer that opens a kiosk session is checked.
 */
export async function signingKioskIfSigned(
  ctx: Context,
  event: string,
  proof: KioskRequestProof,
  ip: string,
): Promise<RuleResult<string | null, KioskSignedRefusalCode>> {
  return proof.header === null ? ok(null) : verifiedSigner(ctx, event, proof.header, proof, ip);
}

async function verifiedSigner(
  ctx: Context,
  event: string,
  headerText: string,
  proof: KioskRequestProof,
  ip: string,
): Promise<RuleResult<string, KioskSignedRefusalCode>> {
  const header = parseKioskSignatureHeader(headerText);
  if (header === null)
    return auditedRefusal(
      ctx,
      event,
      'kiosk-signature-invalid',
      { path: proof.path, ip },
      {
        detail: '(the x-dck-kiosk-signature header is malformed)',
      },
    );
  const details = { kiosk: header.kiosk, sentAt: header.sentAt, path: proof.path, ip };
  const claim = { ...header, message: kioskRequestMessage(header, proof) };
  const verified = await verifyKioskSignature(ctx, event, claim, details);
  if (!verified.ok) return verified;
  const now = ctx.now().getTime();
  // Kept past the far edge of the window (a sentAt up to the window ahead stays fresh that much longer).
  const keepUntil = Math.max(now, header.sentAt) + KIOSK_SIGNATURE_WINDOW_MS;
  const fresh = await ctx.storage.useKioskNonce(header.kiosk, header.nonce, keepUntil, now);
  if (!fresh) return auditedRefusal(ctx, event, 'kiosk-request-replayed', details);
  return ok(verified.value.name);
}

/**
 * Null when the call's verified signer (null: unsigned) may use the session: the session is unbound, or the signer is
 * the kiosk that opened it. Else the audited refusal, before anything is counted, created or used up.
 */
export async function sessionKioskRefusal(
  ctx: Pick<IssuerContext, 'audit'>,
  event: string,
  session: KioskSessionRecord,
  signer: string | null,
): Promise<{ readonly ok: false; readonly error: Refusal<'kiosk-session-mismatch'> } | null> {
  if (session.signedKioskId === null || session.signedKioskId === signer) return null;
  return auditedRefusal(ctx, event, 'kiosk-session-mismatch', {
    sessionId: session.id,
    sessionKiosk: session.signedKioskId,
    callerKiosk: signer,
  });
}
