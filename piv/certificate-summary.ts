/**
 * A plain-data summary of an X.509 certificate from a PIV card, including the PIV SAN entries
 * (FASC-N otherName 2.16.840.1.101.3.6.6 and the urn:uuid URI, FIPS 201-3 §4.2.2).
 * Any defect in hostile certificate bytes becomes PivError 'malformed-certificate'.
 */
import 'reflect-metadata';
import { createHash, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectAlternativeName } from '@peculiar/asn1-x509';
import { CertificatePolicyExtension, X509Certificate } from '@peculiar/x509';
import type { CertificateSummary, FascnInfo } from '../contracts/card.ts';
import { fascnInfo } from './chuid.ts';
import { isPivError, PivError } from './errors.ts';
import type { KeyAlgorithm } from './signing-input.ts';
import { parseSingleTlv } from './tlv.ts';

export const FASCN_OTHER_NAME_OID = '2.16.840.1.101.3.6.6';
const SAN_OID = '2.5.29.17';
const MAX_CERTIFICATE_BYTES = 64 * 1024;
const CURVE_NAMES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

interface SanEntries {
  fascn: FascnInfo | null;
  uuid: string | null;
}

/** The otherName value is [0] EXPLICIT OCTET STRING; accept the inner TLV or bare bytes. */
function otherNameBytes(value: ArrayBuffer): Uint8Array {
  const bytes = new Uint8Array(value);
  try {
    const inner = parseSingleTlv(bytes);
    if (inner.tag === 0x04) return inner.value;
  } catch (error) {
    if (!isPivError(error)) throw error;
  }
  return bytes;
}

function readSan(certificate: X509Certificate): SanEntries {
  const extension = certificate.extensions.find((e) => e.type === SAN_OID);
  if (extension === undefined) return { fascn: null, uuid: null };
  const names = AsnConvert.parse(extension.value, SubjectAlternativeName);
  let fascn: FascnInfo | null = null;
  let uuid: string | null = null;
  for (const name of names) {
    if (name.otherName?.typeId === FASCN_OTHER_NAME_OID && fascn === null) {
      try {
        fascn = fascnInfo(otherNameBytes(name.otherName.value));
      } catch (error) {
        if (!isPivError(error)) throw error; // an undecodable FASC-N is reported as absent
      }
    }
    const uri = name.uniformResourceIdentifier;
    if (uri !== undefined && uuid === null) {
      const match = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(uri);
      if (match?.[1] !== undefined) uuid = match[1].toLowerCase();
    }
  }
  return { fascn, uuid };
}

function describeKey(key: KeyObject): Pick<CertificateSummary, 'keyAlgorithm' | 'keySize' | 'curve'> {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') return { keyAlgorithm: 'RSA', keySize: details.modulusLength ?? null, curve: null };
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    return { keyAlgorithm: 'EC', keySize: null, curve: CURVE_NAMES[curve] ?? curve };
  }
  return { keyAlgorithm: type, keySize: null, curve: null };
}

export interface ParsedCertificate {
  readonly summary: CertificateSummary;
  readonly publicKey: KeyObject;
}

function parseUnchecked(der: Uint8Array): ParsedCertificate {
  const certificate = new X509Certificate(Uint8Array.from(der));
  const publicKey = createPublicKey({ key: Buffer.from(certificate.publicKey.rawData), format: 'der', type: 'spki' });
  const policies = certificate.getExtension(CertificatePolicyExtension)?.policies ?? [];
  const summary: CertificateSummary = {
    subject: certificate.subject,
    commonName: certificate.subjectName.getField('CN')[0] ?? null,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber.toLowerCase(),
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    ...describeKey(publicKey),
    policyOids: [...policies],
    ...readSan(certificate),
    sha256Fingerprint: createHash('sha256').update(der).digest('hex'),
  };
  return { summary, publicKey };
}

/** Parses DER certificate bytes; every failure is 'malformed-certificate'. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (der.length === 0 || der.length > MAX_CERTIFICATE_BYTES) {
    throw new PivError('malformed-certificate', `certificate of ${der.length} bytes`);
  }
  try {
    return parseUnchecked(der);
  } catch (error) {
    if (isPivError(error, 'malformed-certificate')) throw error;
    throw new PivError('malformed-certificate', 'certificate could not be parsed', { cause: error });
  }
}

export function summarizeCertificate(der: Uint8Array): CertificateSummary {
  return parseCertificate(der).summary;
}

/** The PIV signing algorithm for a certificate's key; other keys are 'unsupported-algorithm'. */
export function keyAlgorithmOf(summary: CertificateSummary): KeyAlgorithm {
  if (summary.keyAlgorithm === 'RSA' && summary.keySize === 2048) return 'RSA-2048';
  if (summary.keyAlgorithm === 'EC' && summary.curve === 'P-256') return 'ECC-P256';
  if (summary.keyAlgorithm === 'EC' && summary.curve === 'P-384') return 'ECC-P384';
  const size = summary.keySize ?? summary.curve ?? 'unknown';
  throw new PivError('unsupported-algorithm', `key ${summary.keyAlgorithm} ${size} is not supported for signing`);
}
