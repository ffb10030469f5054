// Caches that make a returning card cheap without weakening any check:
// - parsed certificates by their DER (parsing is the most expensive step after the path engine);
// - the path engine's verdict per certificate, valid only for the exact same revocation evidence objects (a
//   re-fetched CRL or a new OCSP answer is a new object, so the engine runs again). Validity dates, policy,
//   identity, revocation and the challenge signature are still checked on every call.
import type * as pkijs from 'pkijs';
import type { ParsedCertificate } from './parsed-certificate.ts';

const MAX_ENTRIES = 1024;

export class ParsedCertificateCache {
  private readonly entries = new Map<string, ParsedCertificate>();

  get(der: Uint8Array): ParsedCertificate | undefined {
    const key = Buffer.from(der).toString('base64');
    const found = this.entries.get(key);
    if (found === undefined) return undefined;
    this.entries.delete(key); // move to the young end
    this.entries.set(key, found);
    return found;
  }

  set(certificate: ParsedCertificate): void {
    const key = Buffer.from(certificate.der).toString('base64');
    this.entries.set(key, certificate);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

interface EngineVerdict {
  readonly crls: readonly pkijs.CertificateRevocationList[];
  readonly ocsps: readonly pkijs.BasicOCSPResponse[];
  readonly path: readonly ParsedCertificate[];
}

export class EngineVerdictCache {
  private readonly verdicts = new WeakMap<ParsedCertificate, EngineVerdict>();

  /** The path the engine accepted for `leaf` with exactly this evidence, if it did. */
  get(leaf: ParsedCertificate, crls: readonly pkijs.CertificateRevocationList[], ocsps: readonly pkijs.BasicOCSPResponse[]): readonly ParsedCertificate[] | undefined {
    const verdict = this.verdicts.get(leaf);
    if (verdict === undefined || !sameObjects(verdict.crls, crls) || !sameObjects(verdict.ocsps, ocsps)) return undefined;
    return verdict.path;
  }

  set(leaf: ParsedCertificate, verdict: EngineVerdict): void {
    this.verdicts.set(leaf, verdict);
  }
}

function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
