// The outer structure of a CRL (RFC 5280 §5.1), walked with the strict DER reader so that its revokedCertificates
// list — the one part that grows with the CA — is never handed to asn1js. asn1js builds several objects per node
// and refuses more than 10,000 nodes, so before this split a CRL of more than ~2,500 entries was "not a single DER
// structure" at all; measured on a 10.5 MB CRL of 300,000 entries (bench/eligibility-monitor.ts): refused after
// 0.5 s at 350 MB RSS. Now pkijs parses a skeleton (the same CRL without its entries: a few dozen nodes) for the
// issuer name, dates, extensions and signature check, and the entries are read straight from the bytes
// (crl-contents.ts). The skeleton is never trusted for the signature: the signed TBS bytes, entries included, are
// what pkijs verifies (`tbsView`).
import { tlv } from '../../ca/der.ts';
import {
  DerReader,
  TAG,
  contextConstructed,
  derFail,
  encodedOf,
  readWhole,
  type DerElement,
} from '../../der/strict-der.ts';

export interface CrlEnvelope {
  /** The DER CRL with its revokedCertificates element left out (and the TBS length adjusted): what pkijs parses. */
  readonly skeleton: Uint8Array;
  /** The TBSCertList exactly as signed. */
  readonly signedTbs: Uint8Array;
  /** The revokedCertificates SEQUENCE in `der`, or null when the CRL lists nobody. */
  readonly revoked: DerElement | null;
}

/** Throws DerFormatError when `der` is not one DER CertificateList. */
export function splitCrlEnvelope(der: Uint8Array): CrlEnvelope {
  const outer = readWhole(der, TAG.SEQUENCE, 'CRL');
  const top = new DerReader(der, outer, 'CRL');
  const tbs = top.next(TAG.SEQUENCE, 'tbsCertList');
  const algorithm = top.next(TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = top.next(TAG.BIT_STRING, 'signatureValue');
  top.done();

  const fields = new DerReader(der, tbs, 'tbsCertList');
  fields.optional(TAG.INTEGER, 'version');
  fields.next(TAG.SEQUENCE, 'signature');
  fields.next(TAG.SEQUENCE, 'issuer');
  readTimeElement(fields, 'thisUpdate');
  const nextTag = fields.peekTag();
  if (nextTag === TAG.UTC_TIME || nextTag === TAG.GENERALIZED_TIME) fields.any('nextUpdate');
  const revoked = fields.optional(TAG.SEQUENCE, 'revokedCertificates');
  fields.optional(contextConstructed(0), 'crlExtensions');
  fields.done();

  const signedTbs = encodedOf(der, tbs);
  if (revoked === null) return { skeleton: der, signedTbs, revoked: null };
  const tbsContent = Buffer.concat([der.subarray(tbs.contentStart, revoked.start), der.subarray(revoked.end, tbs.end)]);
  const skeleton = tlv(
    TAG.SEQUENCE,
    tlv(TAG.SEQUENCE, tbsContent),
    encodedOf(der, algorithm),
    encodedOf(der, signature),
  );
  return { skeleton, signedTbs, revoked };
}

function readTimeElement(fields: DerReader, name: string): void {
  const tag = fields.peekTag();
  if (tag !== TAG.UTC_TIME && tag !== TAG.GENERALIZED_TIME)
    derFail(`tbsCertList: ${name} is not a UTCTime or GeneralizedTime`);
  fields.any(name);
}
