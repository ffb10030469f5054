// The signatures of a path's CA part (issuing CA … the certificate the anchor issued), remembered once verified,
// so a new card costs one OpenSSL signature check (its own) instead of one per CA certificate. Everything else
// of RFC 5280 §6.1 (dates, CA flags, path lengths, name constraints, the policy tree) is recomputed on every call
// (path-validation.ts): it is microseconds of pure computation, and recomputing it means no verdict can outlive
// a change of the time or the configured policy.
//
// An entry is keyed by the SHA-256 of the exact DER of every certificate of the CA part, anchor included (a
// different CA with the same name is a different key), and is served only until the earliest notAfter of those
// certificates. Revocation is not part of the entry: it is asked on every call (revocation/), so a CA revoked by a
// newly loaded CRL is refused whatever this cache holds.
import { createHash } from 'node:crypto';
import type { ParsedCertificate } from './parsed-certificate.ts';

/** Bound on remembered CA parts; a deployment has a handful. */
const MAX_ENTRIES = 256;

export class CaSignatureCache {
  private readonly verified = new Map<string, number>();

  /** True when every signature of this CA part verified before and no certificate of it has expired since. */
  has(caPath: readonly ParsedCertificate[], at: Date): boolean {
    const expiresAtMs = this.verified.get(caPathKey(caPath));
    return expiresAtMs !== undefined && at.getTime() < expiresAtMs;
  }

  remember(caPath: readonly ParsedCertificate[]): void {
    if (this.verified.size >= MAX_ENTRIES) this.verified.clear();
    this.verified.set(
      caPathKey(caPath),
      Math.min(...caPath.map((certificate) => certificate.fields.notAfter.getTime())),
    );
  }
}

export type SignatureResult = { ok: true } | { ok: false; message: string };

/** `path` is leaf first, anchor last: every certificate but the anchor verifies with the key of the next. */
export function checkPathSignatures(
  path: readonly ParsedCertificate[],
  cache: CaSignatureCache,
  at: Date,
): SignatureResult {
  const leafStep = checkSignature(path, 0);
  if (!leafStep.ok) return leafStep;
  const caPath = path.slice(1);
  if (cache.has(caPath, at)) return { ok: true };
  for (let index = 1; index < path.length - 1; index += 1) {
    const step = checkSignature(path, index);
    if (!step.ok) return step;
  }
  cache.remember(caPath);
  return { ok: true };
}

function checkSignature(path: readonly ParsedCertificate[], index: number): SignatureResult {
  const subject = path[index];
  const issuer = path[index + 1];
  if (subject === undefined || issuer === undefined) return { ok: false, message: 'certificate path is too short' };
  const who = index === 0 ? 'the PIV Authentication certificate' : `CA certificate "${subject.subject}"`;
  let signed: boolean;
  try {
    signed = subject.openssl.verify(issuer.publicKey); // a KeyObject made once, when the CA was configured
  } catch (error) {
    return {
      ok: false,
      message: `the signature of ${who} cannot be checked: ${error instanceof Error ? error.message.slice(0, 120) : 'unknown error'}`,
    };
  }
  return signed
    ? { ok: true }
    : { ok: false, message: `the signature of ${who} does not verify with the key of "${issuer.subject}"` };
}

/** The DER of every certificate, in order. */
function caPathKey(caPath: readonly ParsedCertificate[]): string {
  return caPath.map(derDigest).join('.');
}

/** SHA-256 of a certificate's DER, computed once per (configured, long-lived) certificate object. */
const digests = new WeakMap<ParsedCertificate, string>();
function derDigest(certificate: ParsedCertificate): string {
  let digest = digests.get(certificate);
  if (digest === undefined) {
    digest = createHash('sha256').update(certificate.der).digest('base64');
    digests.set(certificate, digest);
  }
  return digest;
}
