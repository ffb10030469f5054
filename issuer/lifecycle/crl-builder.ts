// A CRL (RFC 5280 §5) of one issuer generation's derived certificates, written as DER and signed through the
// CaSigner (so a CA key in an HSM signs CRLs as it signs certificates): v2, the CA's name, thisUpdate/nextUpdate,
// one entry per held or revoked certificate with its reasonCode (none for unspecified, §5.3.1), and the
// authorityKeyIdentifier and cRLNumber extensions (both required of a conforming CA, §5.2).
import type { CaSigner } from '../ca/ca-signer.ts';
import { OID, bitString, enumerated, integer, integerOf, sequence, smallInteger, time, tlv } from '../ca/der.ts';
import { authorityKeyIdentifier, crlExtension } from '../ca/extensions.ts';
import type { CrlEntry } from '../storage/issuer-storage.ts';
import { REVOCATION_REASON_CODES } from './revocation-reason.ts';

export interface CrlParts {
  issuerNameDer: Uint8Array;
  authorityKeyId: Uint8Array;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly CrlEntry[];
}

function revokedEntry(entry: CrlEntry): Uint8Array {
  const fields = [integer(Buffer.from(entry.serialNumberHex, 'hex')), time(new Date(entry.revokedAt))];
  if (entry.reason !== 'unspecified') {
    fields.push(sequence(crlExtension(OID.cRLReason, enumerated(REVOCATION_REASON_CODES[entry.reason]))));
  }
  return sequence(...fields);
}

export async function buildCrl(parts: CrlParts, signer: CaSigner): Promise<Uint8Array> {
  const tbs = sequence(
    smallInteger(1), // v2
    signer.signatureAlgorithmDer,
    parts.issuerNameDer,
    time(parts.thisUpdate),
    time(parts.nextUpdate),
    // An empty list is left out, never written as an empty SEQUENCE (§5.1.2.6).
    ...(parts.entries.length === 0 ? [] : [sequence(...parts.entries.map(revokedEntry))]),
    tlv(
      0xa0,
      sequence(authorityKeyIdentifier(parts.authorityKeyId), crlExtension(OID.cRLNumber, integerOf(parts.crlNumber))),
    ),
  );
  const signature = await signer.sign(tbs);
  return sequence(tbs, signer.signatureAlgorithmDer, bitString(signature));
}
