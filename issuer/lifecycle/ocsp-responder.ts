// The OCSP responder (RFC 6960) for the derived certificates of the current issuer generation, signed by its CA
// (through the CaSigner: an HSM key answers too), and of retired generations, signed by the delegated responder
// their CA certified when it was replaced (retired-ocsp-responder.ts). Requests are hostile input: a body that is not one DER
// OCSPRequest, more than MAX_REQUESTS certificates, or a hash algorithm other than SHA-1/SHA-256 gets
// malformedRequest; a request naming no certificate of this CA gets unauthorized (RFC 6960 §2.3). A serial this CA
// never issued is "unknown". Answers echo the request's nonce (RFC 8954) and are fresh for `validityMs`.
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { CaSigner } from '../ca/ca-signer.ts';
import { keyIdentifier, subjectPublicKeyBits } from '../ca/certificate-builder.ts';
import type { IssuingCa } from '../ca/issuing-ca.ts';
import {
  OID,
  bitString,
  enumerated,
  generalizedTime,
  objectIdentifier,
  octetString,
  sequence,
  tlv,
} from '../ca/der.ts';
import type { DerivedCertificateRecord, IssuerStorage } from '../storage/issuer-storage.ts';
import { REVOCATION_REASON_CODES } from './revocation-reason.ts';

/** More certificates in one request than any relying party asks about: each costs a lookup and answer bytes. */
export const MAX_REQUESTS = 16;

/**
 * Largest DER request taken by GET (RFC 6960 A.1): 16 SHA-256 CertIDs and a nonce fit (≈ 1.8 KB). Relying parties
 * use GET for small requests (RFC 5019 §5: under 255 bytes); POST takes up to the body limit.
 */
export const MAX_GET_REQUEST_BYTES = 2048;
/** Its base64 text, percent-encoded at worst (every character `%XX`): the router's bound on the path segment. */
export const MAX_GET_PATH_SEGMENT_CHARS = 3 * 4 * Math.ceil(MAX_GET_REQUEST_BYTES / 3);

/**
 * The DER request of a GET: the path segment after `/revocation/ocsp/`, already percent-decoded by the router, is
 * base64 of the DER OCSPRequest (RFC 6960 A.1). Null (→ malformedRequest) for anything that is not canonical base64
 * of at most MAX_GET_REQUEST_BYTES: a second spelling of the same request is not needed and not accepted.
 */
export function ocspRequestFromGetPath(segment: string): Uint8Array | null {
  if (segment.length === 0 || segment.length > 4 * Math.ceil(MAX_GET_REQUEST_BYTES / 3)) return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(segment) || segment.length % 4 !== 0) return null;
  const der = Buffer.from(segment, 'base64');
  if (der.byteLength > MAX_GET_REQUEST_BYTES || der.toString('base64') !== segment) return null;
  return new Uint8Array(der);
}

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
export const OCSP_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  unauthorized: 6,
} as const;

export interface OcspResponderDeps {
  storage: Pick<IssuerStorage, 'findDerivedCertificate'>;
  ca: IssuingCa;
  issuerGeneration: number;
  /** Retired generations with a delegated responder (`dck admin issuer replace` made one): answered too. */
  retired?: readonly OcspIssuer[];
  now: () => Date;
  validityMs: number;
}

/** One generation the responder answers for: its CA's name and key (CertID hashes), who signs, what goes along. */
export interface OcspIssuer {
  generation: number;
  caNameDer: Uint8Array;
  caSpkiDer: Uint8Array;
  /** The CA itself, or a responder it certified (id-kp-OCSPSigning). */
  signer: Pick<CaSigner, 'sign' | 'signatureAlgorithmDer' | 'publicKeySpkiDer'>;
  /** Put in the answer's certs: the signer's certificate. */
  certificatesDer: Uint8Array[];
}

const liveIssuer = (deps: OcspResponderDeps): OcspIssuer => ({
  generation: deps.issuerGeneration,
  caNameDer: deps.ca.subjectNameDer,
  caSpkiDer: deps.ca.signer.publicKeySpkiDer,
  signer: deps.ca.signer,
  certificatesDer: [deps.ca.certificateDer],
});

const HASHES: Record<string, 'sha1' | 'sha256'> = { [OID.sha1]: 'sha1', [OID.sha256]: 'sha256' };

/** An OCSPResponse with no responseBytes: only an error status. */
export function ocspError(status: Exclude<keyof typeof OCSP_STATUS, 'successful'>): Uint8Array {
  return sequence(enumerated(OCSP_STATUS[status]));
}

interface IssuerHashes {
  name: Record<string, string>;
  key: Record<string, string>;
}

/** Four small hashes per request and generation: not worth a cache keyed on objects built per request. */
function issuerHashes(issuer: OcspIssuer): IssuerHashes {
  const of = (data: Uint8Array) => ({
    sha1: createHash('sha1').update(data).digest('hex'),
    sha256: createHash('sha256').update(data).digest('hex'),
  });
  return { name: of(issuer.caNameDer), key: of(subjectPublicKeyBits(issuer.caSpkiDer)) };
}

type Parsed = { ok: true; request: pkijs.OCSPRequest } | { ok: false };

function parseRequest(body: Uint8Array): Parsed {
  if (body.byteLength === 0) return { ok: false };
  const asn = asn1js.fromBER(body);
  // One structure, nothing after it.
  if (asn.offset !== body.byteLength || asn.result.error !== '') return { ok: false };
  try {
    return { ok: true, request: new pkijs.OCSPRequest({ schema: asn.result }) };
  } catch {
    return { ok: false };
  }
}

const hex = (view: ArrayBuffer | Uint8Array): string =>
  Buffer.from(view instanceof Uint8Array ? view : new Uint8Array(view)).toString('hex');

/** The serial's INTEGER content as stored: lower-case hex without a leading sign octet. */
function serialHex(serial: asn1js.Integer): string {
  return hex(serial.valueBlock.valueHexView).replace(/^(00)+(?=[0-9a-f]{2})/, '');
}

function certStatus(record: DerivedCertificateRecord | null): Uint8Array {
  if (record === null) return tlv(0x82, new Uint8Array(0));
  if (record.status === 'active') return tlv(0x80, new Uint8Array(0));
  const reason = record.revocationReason ?? 'unspecified';
  return tlv(
    0xa1,
    generalizedTime(new Date(record.statusChangedAt ?? record.issuedAt)),
    tlv(0xa0, enumerated(REVOCATION_REASON_CODES[reason])),
  );
}

/** Answers one DER OCSPRequest with a DER OCSPResponse (never throws for bad input; a signer failure → tryLater). */
export async function answerOcsp(body: Uint8Array, deps: OcspResponderDeps): Promise<Uint8Array> {
  const parsed = parseRequest(body);
  if (!parsed.ok) return ocspError('malformedRequest');
  const requests = parsed.request.tbsRequest.requestList;
  if (requests.length === 0 || requests.length > MAX_REQUESTS) return ocspError('malformedRequest');
  const issuers = [liveIssuer(deps), ...(deps.retired ?? [])].map((issuer) => ({
    issuer,
    hashes: issuerHashes(issuer),
  }));
  const now = deps.now();
  const nextUpdate = new Date(now.getTime() + deps.validityMs);
  const singles: Uint8Array[] = [];
  // One signature per answer: the generation of the first certificate asked about that is ours answers; any
  // other generation's certificate in the same request is "unknown" to it (relying parties ask one at a time).
  let responder: OcspIssuer | null = null;
  for (const { reqCert } of requests) {
    const hash = HASHES[reqCert.hashAlgorithm.algorithmId];
    if (hash === undefined) return ocspError('malformedRequest');
    const nameHash = hex(reqCert.issuerNameHash.valueBlock.valueHexView);
    const keyHash = hex(reqCert.issuerKeyHash.valueBlock.valueHexView);
    const match = issuers.find(({ hashes }) => hashes.name[hash] === nameHash && hashes.key[hash] === keyHash);
    if (match !== undefined) responder ??= match.issuer;
    const isOurs = match !== undefined && match.issuer === responder;
    const found = isOurs ? await deps.storage.findDerivedCertificate(serialHex(reqCert.serialNumber)) : null;
    const record = found !== null && found.issuerGeneration === responder?.generation ? found : null;
    singles.push(
      sequence(
        new Uint8Array(reqCert.toSchema().toBER(false)),
        certStatus(record),
        generalizedTime(now),
        tlv(0xa0, generalizedTime(nextUpdate)),
      ),
    );
  }
  if (responder === null) return ocspError('unauthorized');
  const nonce = parsed.request.tbsRequest.requestExtensions?.find((extension) => extension.extnID === OID.ocspNonce);
  const tbs = sequence(
    tlv(0xa2, octetString(keyIdentifier(responder.signer.publicKeySpkiDer))), // responderID byKey: SHA-1 of its key bits
    generalizedTime(now),
    sequence(...singles),
    ...(nonce === undefined ? [] : [tlv(0xa1, sequence(new Uint8Array(nonce.toSchema().toBER(false))))]),
  );
  let signature: Uint8Array;
  try {
    signature = await responder.signer.sign(tbs);
  } catch {
    return ocspError('tryLater');
  }
  const basic = sequence(
    tbs,
    responder.signer.signatureAlgorithmDer,
    bitString(signature),
    tlv(0xa0, sequence(...responder.certificatesDer)),
  );
  return sequence(
    enumerated(OCSP_STATUS.successful),
    tlv(0xa0, sequence(objectIdentifier(OID.ocspBasic), octetString(basic))),
  );
}
