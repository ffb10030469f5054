// A CRL signed by another key of the same CA (RFC 5280 §6.3.3 (f)): after a key rollover the CA's new key signs
// the CRL that covers certificates issued under the old one, and some CAs sign CRLs with a separate key. Such a CRL
// is an answer only when the signing key's certificate — one of the configured certificates, with the CA's subject
// name and cRLSign — validates to the SAME trust anchor as the path being checked, and is itself not revoked.
//
// The signer's path is built here among the configured certificates, by OpenSSL's X509_check_issued and a real
// signature check at each step (so two certificates of one name and key identifier cannot be confused), bounded in
// length and in attempts. Its revocation is checked with the same rules, recursively, at most MAX_SIGNER_DEPTH deep
// (a CRL-signing certificate whose own revocation depends on a CRL signed by yet another key, and so on).
import type { ParsedCertificate } from '../parsed-certificate.ts';
import type { CrlSigners } from './crl-answer.ts';

export const MAX_SIGNER_DEPTH = 2;
const MAX_PATH_LENGTH = 6;
const MAX_ATTEMPTS = 64;

export interface SignerTrust {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
}

/** Checks the revocation of a signer's path; the caller's checkRevocation, one level deeper. */
export type SignerPathRevocation = (path: readonly ParsedCertificate[]) => Promise<string | null>;

export function crlSigners(
  trust: SignerTrust,
  anchor: ParsedCertificate,
  at: Date,
  depth: number,
  revocation: SignerPathRevocation,
): CrlSigners {
  return {
    alternatives: (issuer) =>
      [...trust.anchors, ...trust.intermediates].filter(
        (candidate) =>
          candidate !== issuer && Buffer.from(candidate.fields.subjectName).equals(issuer.fields.subjectName),
      ),
    validate: async (signer) => {
      if (signer === anchor) return null;
      if (depth >= MAX_SIGNER_DEPTH)
        return `the CRL signer "${signer.subject}" would need CRL signers more than ${MAX_SIGNER_DEPTH} deep`;
      const paths = signerPaths(signer, anchor, trust.intermediates);
      if (paths.length === 0) return `the CRL signer "${signer.subject}" does not chain to the same trust anchor`;
      const problems: string[] = [];
      for (const path of paths) {
        const problem = datesProblem(path, at) ?? (await revocation(path));
        if (problem === null) return null;
        problems.push(problem);
      }
      return `the CRL signer "${signer.subject}" is not valid: ${problems.join('; ').slice(0, 300)}`;
    },
  };
}

/** Every path signer → … → anchor among the configured intermediates (bounded), each step signed and issued. */
function signerPaths(
  signer: ParsedCertificate,
  anchor: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
): ParsedCertificate[][] {
  const found: ParsedCertificate[][] = [];
  let attempts = 0;
  const extend = (path: ParsedCertificate[]): void => {
    const current = path[path.length - 1];
    if (current === undefined || path.length > MAX_PATH_LENGTH) return;
    if (issues(anchor, current)) found.push([...path, anchor]);
    for (const candidate of intermediates) {
      if (attempts >= MAX_ATTEMPTS) return;
      if (path.includes(candidate) || candidate.fields.extensions.basicConstraints?.ca !== true) continue;
      attempts += 1;
      if (issues(candidate, current)) extend([...path, candidate]);
    }
  };
  extend([signer]);
  return found;
}

function issues(issuer: ParsedCertificate, subject: ParsedCertificate): boolean {
  if (!subject.openssl.checkIssued(issuer.openssl)) return false;
  try {
    return subject.openssl.verify(issuer.publicKey);
  } catch {
    return false; // a key OpenSSL cannot use for this signature did not make it
  }
}

function datesProblem(path: readonly ParsedCertificate[], at: Date): string | null {
  for (const certificate of path.slice(0, -1)) {
    if (at < certificate.fields.notBefore || at > certificate.fields.notAfter)
      return `"${certificate.subject}" is not valid at ${at.toISOString()}`;
  }
  return null;
}
