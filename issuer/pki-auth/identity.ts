// The cardholder identity from the PIV Authentication certificate's subjectAltName (FIPS 201-3 §4.2.2.2):
// the card UUID as a urn:uuid URI and/or the FASC-N as otherName 2.16.840.1.101.3.6.6 (an OCTET STRING of 25 bytes).
// The SAN itself was read (and its DER checked) when the certificate was parsed: see certificate-extensions.ts.
import type { ParsedCertificate } from './parsed-certificate.ts';

const FASC_N_OID = '2.16.840.1.101.3.6.6';
const FASC_N_BYTES = 25;
const UUID_URN = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export type IdentityResult =
  { ok: true; uuid: string | null; fascnHex: string | null } | { ok: false; message: string };

export function cardholderIdentity(certificate: ParsedCertificate): IdentityResult {
  const names = certificate.fields.extensions.subjectAltName;
  if (names === null)
    return { ok: false, message: 'the certificate has no subjectAltName, so it names no card UUID or FASC-N' };
  const uuids = new Set<string>();
  const fascns = new Set<string>();
  for (const uri of names.uris) {
    const uuid = UUID_URN.exec(uri)?.[1];
    if (uuid !== undefined) uuids.add(uuid.toLowerCase());
  }
  for (const otherName of names.otherNames) {
    if (otherName.typeId !== FASC_N_OID) continue;
    if (otherName.octetString?.byteLength !== FASC_N_BYTES)
      return { ok: false, message: `the FASC-N in the subjectAltName is not ${FASC_N_BYTES} bytes` };
    fascns.add(Buffer.from(otherName.octetString).toString('hex'));
  }
  if (uuids.size > 1 || fascns.size > 1) return { ok: false, message: 'the subjectAltName names more than one card' };
  const uuid = [...uuids][0] ?? null;
  const fascnHex = [...fascns][0] ?? null;
  if (uuid === null && fascnHex === null)
    return { ok: false, message: 'the subjectAltName has neither a urn:uuid nor a FASC-N' };
  return { ok: true, uuid, fascnHex };
}
