// The cardholder identity from the PIV Authentication certificate's subjectAltName (FIPS 201-3 §4.2.2.2):
// the card UUID as a urn:uuid URI and/or the FASC-N as otherName 2.16.840.1.101.3.6.6 (an OCTET STRING of 25 bytes).
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectAlternativeName } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import type { ParsedCertificate } from './parsed-certificate.ts';

const SUBJECT_ALT_NAME = '2.5.29.17';
const FASC_N_OID = '2.16.840.1.101.3.6.6';
const FASC_N_BYTES = 25;
const UUID_URN = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export type IdentityResult = { ok: true; uuid: string | null; fascnHex: string | null } | { ok: false; message: string };

export function cardholderIdentity(certificate: ParsedCertificate): IdentityResult {
  const extension = certificate.x509.getExtension(SUBJECT_ALT_NAME);
  if (extension === null) return { ok: false, message: 'the certificate has no subjectAltName, so it names no card UUID or FASC-N' };
  let names: SubjectAlternativeName;
  try {
    names = AsnConvert.parse(extension.value, SubjectAlternativeName);
  } catch {
    return { ok: false, message: 'the subjectAltName cannot be parsed' };
  }
  const uuids = new Set<string>();
  const fascns = new Set<string>();
  for (const name of names) {
    const uri = name.uniformResourceIdentifier;
    const uuid = uri === undefined ? undefined : UUID_URN.exec(uri)?.[1];
    if (uuid !== undefined) uuids.add(uuid.toLowerCase());
    if (name.otherName?.typeId === FASC_N_OID) {
      const fascn = fascnBytes(name.otherName.value);
      if (fascn === null) return { ok: false, message: `the FASC-N in the subjectAltName is not ${FASC_N_BYTES} bytes` };
      fascns.add(fascn);
    }
  }
  if (uuids.size > 1 || fascns.size > 1) return { ok: false, message: 'the subjectAltName names more than one card' };
  const uuid = [...uuids][0] ?? null;
  const fascnHex = [...fascns][0] ?? null;
  if (uuid === null && fascnHex === null) return { ok: false, message: 'the subjectAltName has neither a urn:uuid nor a FASC-N' };
  return { ok: true, uuid, fascnHex };
}

/** otherName's value is the DER of the [0] EXPLICIT content: an OCTET STRING holding the FASC-N. */
function fascnBytes(value: ArrayBuffer): string | null {
  const parsed = asn1js.fromBER(value);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.OctetString)) return null;
  const bytes = parsed.result.valueBlock.valueHexView;
  return bytes.byteLength === FASC_N_BYTES ? Buffer.from(bytes).toString('hex') : null;
}
