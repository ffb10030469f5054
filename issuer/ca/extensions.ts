// X.509 v3 extensions (RFC 5280 §4.2) as DER, for the certificates the issuer makes.
import { isIPv4, isIPv6 } from 'node:net';
import { DER_TRUE, OID, bitString, integer, objectIdentifier, octetString, sequence, tlv } from './der.ts';

export type KeyUsageBit = 'digitalSignature' | 'keyCertSign' | 'cRLSign';
const KEY_USAGE_BIT: Record<KeyUsageBit, number> = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? sequence(objectIdentifier(oid), DER_TRUE, octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

export function basicConstraints(ca: boolean, pathLength?: number): Uint8Array {
  const body = ca ? [DER_TRUE, ...(pathLength === undefined ? [] : [integer(Uint8Array.of(pathLength))])] : [];
  return extension(OID.basicConstraints, true, sequence(...body));
}

/** Critical keyUsage; DER drops trailing zero bits (X.690 §11.2.2). */
export function keyUsage(bits: KeyUsageBit[]): Uint8Array {
  const positions = bits.map((bit) => KEY_USAGE_BIT[bit]);
  const highest = Math.max(...positions);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const position of positions) bytes[position >> 3] = (bytes[position >> 3] ?? 0) | (0x80 >> (position & 7));
  return extension(OID.keyUsage, true, bitString(bytes, 7 - (highest & 7)));
}

export function extendedKeyUsage(oids: string[]): Uint8Array {
  return extension(OID.extKeyUsage, false, sequence(...oids.map(objectIdentifier)));
}

export function certificatePolicies(oids: string[]): Uint8Array {
  return extension(OID.certificatePolicies, false, sequence(...oids.map((oid) => sequence(objectIdentifier(oid)))));
}

export type GeneralName = { uri: string } | { dns: string } | { ip: string };

function ipBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = groups(head);
  const right = ip.includes('::') ? groups(tail) : [];
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 0xff]));
}

export function subjectAltName(names: GeneralName[]): Uint8Array {
  return extension(
    OID.subjectAltName,
    false,
    sequence(
      ...names.map((name) => {
        if ('uri' in name) return tlv(0x86, Buffer.from(name.uri, 'ascii'));
        if ('dns' in name) return tlv(0x82, Buffer.from(name.dns, 'ascii'));
        return tlv(0x87, ipBytes(name.ip));
      }),
    ),
  );
}

export function subjectKeyIdentifier(keyId: Uint8Array): Uint8Array {
  return extension(OID.subjectKeyIdentifier, false, octetString(keyId));
}

export function authorityKeyIdentifier(keyId: Uint8Array): Uint8Array {
  return extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyId)));
}

/** One distribution point with the CRL's URL as its fullName (RFC 5280 §4.2.1.13). */
export function crlDistributionPoint(url: string): Uint8Array {
  const uri = tlv(0x86, Buffer.from(url, 'ascii'));
  return extension(OID.cRLDistributionPoints, false, sequence(sequence(tlv(0xa0, tlv(0xa0, uri)))));
}

/** Authority information access naming the OCSP responder (RFC 5280 §4.2.2.1). */
export function ocspAccess(url: string): Uint8Array {
  return extension(
    OID.authorityInfoAccess,
    false,
    sequence(sequence(objectIdentifier(OID.ocspAccess), tlv(0x86, Buffer.from(url, 'ascii')))),
  );
}

/** A CRL or CRL-entry extension is written like a certificate's. */
export function crlExtension(oid: string, value: Uint8Array): Uint8Array {
  return extension(oid, false, value);
}

/** id-pkix-ocsp-nocheck: its value is NULL (RFC 6960 §4.2.2.2.1). */
export function ocspNoCheck(): Uint8Array {
  return extension(OID.ocspNoCheck, false, Uint8Array.of(0x05, 0x00));
}
