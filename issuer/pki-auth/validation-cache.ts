// Parsed card certificates by their DER (parsing is the most expensive step after a signature check), LRU.
// Validity dates, path validation, identity, revocation and the challenge signature are still checked on every call.
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
