// OCSP (RFC 6960): one request per certificate, POSTed as application/ocsp-request to the configured responder,
// with a nonce. An answer is heard only when it is signed by the certificate's issuer or by a responder the
// issuer delegated (id-kp-OCSPSigning), names this exact certificate (CertID), is fresh, and echoes our nonce
// when it carries one. "good" answers are cached until their nextUpdate.
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
// One home for the OIDs the issuer both writes (its own OCSP responder) and reads here (card OCSP responders).
import { OID } from '../../ca/der.ts';
import { serialNumberHex, type ParsedCertificate } from '../parsed-certificate.ts';
import { boundedFetch } from './bounded-fetch.ts';

const MAX_OCSP_RESPONSE_BYTES = 64 * 1024;
const OCSP_TIMEOUT_MS = 5_000;
const CLOCK_SKEW_MS = 5 * 60_000;
/** Without nextUpdate, an answer is fresh for this long after thisUpdate (RFC 5019 responders always set it). */
const MAX_AGE_WITHOUT_NEXT_UPDATE_MS = 15 * 60_000;

const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export type OcspAnswer =
  | { status: 'good'; response: pkijs.BasicOCSPResponse; nextUpdate?: Date }
  | { status: 'revoked'; message: string }
  | { status: 'unknown'; message: string }
  | { status: 'unavailable'; message: string };

interface CachedGood {
  readonly response: pkijs.BasicOCSPResponse;
  readonly nextUpdate: Date;
  readonly fetchedAtMs: number;
}

export interface OcspCache {
  /** Keyed by the issuer certificate object, then by the subject's serial. */
  readonly good: WeakMap<ParsedCertificate, Map<string, CachedGood>>;
}

export function createOcspCache(): OcspCache {
  return { good: new WeakMap() };
}

export async function ocspAnswerFor(
  subject: ParsedCertificate,
  issuer: ParsedCertificate,
  url: string,
  cache: OcspCache,
  at: Date,
  maxAgeMs = Infinity,
): Promise<OcspAnswer> {
  const serial = serialNumberHex(subject);
  const cached = cache.good.get(issuer)?.get(serial);
  // A "good" is reused until its nextUpdate, and no longer than the tenant's freshness.
  if (
    cached !== undefined &&
    cached.nextUpdate.getTime() >= at.getTime() &&
    Date.now() - cached.fetchedAtMs < maxAgeMs
  ) {
    return { status: 'good', response: cached.response };
  }

  const certId = new pkijs.CertID();
  await certId.createForCertificate(subject.pkijs, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer.pkijs });
  const nonce = new asn1js.OctetString({ valueHex: randomBytes(16) }).toBER();
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList = [new pkijs.Request({ reqCert: certId })];
  request.tbsRequest.requestExtensions = [
    new pkijs.Extension({ extnID: OID.ocspNonce, critical: false, extnValue: nonce }),
  ];
  const body = new Uint8Array(request.toSchema(true).toBER());

  const fetched = await boundedFetch(url, {
    method: 'POST',
    body,
    contentType: 'application/ocsp-request',
    accept: 'application/ocsp-response',
    maxBytes: MAX_OCSP_RESPONSE_BYTES,
    timeoutMs: OCSP_TIMEOUT_MS,
  });
  if (!fetched.ok) return { status: 'unavailable', message: `OCSP ${fetched.message}` };
  const answer = await readResponse(fetched.body, { subject, issuer, certId, nonce: new Uint8Array(nonce), at });
  if (answer.status === 'good' && answer.nextUpdate !== undefined)
    rememberGood(cache, issuer, serial, {
      response: answer.response,
      nextUpdate: answer.nextUpdate,
      fetchedAtMs: Date.now(),
    });
  return answer;
}

interface Expectation {
  readonly subject: ParsedCertificate;
  readonly issuer: ParsedCertificate;
  readonly certId: pkijs.CertID;
  readonly nonce: Uint8Array;
  readonly at: Date;
}

async function readResponse(der: Uint8Array, expected: Expectation): Promise<OcspAnswer> {
  const basic = parseBasicResponse(der);
  if (typeof basic === 'string') return { status: 'unavailable', message: `OCSP response ${basic}` };
  const signer = await responseSigner(basic, expected.issuer, expected.at);
  if (typeof signer === 'string') return { status: 'unavailable', message: `OCSP response ${signer}` };
  if (!signatureVerifies(basic, signer))
    return { status: 'unavailable', message: 'OCSP response signature does not verify' };
  const nonceProblem = checkNonce(basic, expected.nonce);
  if (nonceProblem !== null) return { status: 'unavailable', message: nonceProblem };
  const single = basic.tbsResponseData.responses.find((response) => response.certID.isEqual(expected.certId));
  if (single === undefined)
    return { status: 'unavailable', message: 'OCSP response does not name the certificate asked about' };
  const freshness = freshnessProblem(single, expected.at);
  if (freshness !== null) return { status: 'unavailable', message: freshness };
  const tag = (single.certStatus as { idBlock?: { tagClass?: number; tagNumber?: number } }).idBlock;
  const who = `"${expected.subject.subject}" (serial ${expected.subject.serialNumber})`;
  if (tag?.tagClass === 3 && tag.tagNumber === 0)
    return { status: 'good', response: basic, nextUpdate: single.nextUpdate };
  if (tag?.tagClass === 3 && tag.tagNumber === 1)
    return { status: 'revoked', message: `OCSP responder reports ${who} revoked` };
  return { status: 'unknown', message: `OCSP responder does not know ${who}` };
}

function parseBasicResponse(der: Uint8Array): pkijs.BasicOCSPResponse | string {
  try {
    const outer = asn1js.fromBER(der);
    if (outer.offset === -1 || outer.offset !== der.byteLength) return 'is not a single DER structure';
    const response = new pkijs.OCSPResponse({ schema: outer.result });
    const status = response.responseStatus.valueBlock.valueDec;
    if (status !== 0) return `reports an error (responseStatus ${status})`;
    if (response.responseBytes?.responseType !== OID.ocspBasic) return 'is not a basic OCSP response';
    const inner = asn1js.fromBER(response.responseBytes.response.valueBlock.valueHexView);
    if (inner.offset === -1) return 'carries an unreadable basic response';
    return new pkijs.BasicOCSPResponse({ schema: inner.result });
  } catch (error) {
    return `cannot be parsed: ${error instanceof Error ? error.message.slice(0, 120) : 'unknown error'}`;
  }
}

/** The issuer itself, or a delegated responder certificate carried in the response (RFC 6960 §4.2.2.2). */
async function responseSigner(
  basic: pkijs.BasicOCSPResponse,
  issuer: ParsedCertificate,
  at: Date,
): Promise<pkijs.Certificate | string> {
  const responderId: unknown = basic.tbsResponseData.responderID;
  if (matchesResponderId(issuer.pkijs, responderId)) return issuer.pkijs;
  const delegated = (basic.certs ?? []).find((certificate) => matchesResponderId(certificate, responderId));
  if (delegated === undefined)
    return 'is signed by a responder that is neither the issuer nor a certificate it carries';
  if (!delegated.issuer.isEqual(issuer.pkijs.subject))
    return "is signed by a responder the certificate's issuer did not certify";
  let issuedByIssuer: boolean;
  try {
    issuedByIssuer = await delegated.verify(issuer.pkijs);
  } catch {
    issuedByIssuer = false; // pkijs throws on key mismatches: not issued by this CA
  }
  if (!issuedByIssuer) return 'is signed by a responder certificate whose signature does not verify against the issuer';
  if (!hasOcspSigning(delegated)) return 'is signed by a responder certificate without id-kp-OCSPSigning';
  if (delegated.notBefore.value.getTime() > at.getTime() || delegated.notAfter.value.getTime() < at.getTime()) {
    return 'is signed by a responder certificate outside its validity period';
  }
  return delegated;
}

function matchesResponderId(certificate: pkijs.Certificate, responderId: unknown): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return certificate.subject.isEqual(responderId);
  if (responderId instanceof asn1js.OctetString) {
    const keyHash = createHash('sha1')
      .update(certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
      .digest();
    return keyHash.equals(Buffer.from(responderId.valueBlock.valueHexView));
  }
  return false;
}

function hasOcspSigning(certificate: pkijs.Certificate): boolean {
  const eku: unknown = certificate.extensions?.find((extension) => extension.extnID === OID.extKeyUsage)?.parsedValue;
  return eku instanceof pkijs.ExtKeyUsage && eku.keyPurposes.includes(OID.ocspSigning);
}

function signatureVerifies(basic: pkijs.BasicOCSPResponse, signer: pkijs.Certificate): boolean {
  const hash = SIGNATURE_HASHES[basic.signatureAlgorithm.algorithmId];
  if (hash === undefined) return false; // SHA-1 and unknown algorithms are not accepted
  try {
    const key = createPublicKey({
      key: Buffer.from(signer.subjectPublicKeyInfo.toSchema().toBER()),
      format: 'der',
      type: 'spki',
    });
    const signature = basic.signature.valueBlock.valueHexView;
    const data = basic.tbsResponseData.tbsView;
    return key.asymmetricKeyType === 'ec'
      ? verify(hash, data, { key, dsaEncoding: 'der' }, signature)
      : verify(hash, data, key, signature);
  } catch {
    return false; // an unreadable key or signature is a signature that does not verify
  }
}

function checkNonce(basic: pkijs.BasicOCSPResponse, sent: Uint8Array): string | null {
  const echoed = basic.tbsResponseData.responseExtensions?.find((extension) => extension.extnID === OID.ocspNonce);
  // Pre-produced responses (RFC 5019) carry no nonce; freshness then rests on thisUpdate/nextUpdate.
  if (echoed === undefined) return null;
  return Buffer.from(echoed.extnValue.valueBlock.valueHexView).equals(Buffer.from(sent))
    ? null
    : 'OCSP response nonce does not match the request';
}

function freshnessProblem(single: pkijs.SingleResponse, at: Date): string | null {
  if (single.thisUpdate.getTime() > at.getTime() + CLOCK_SKEW_MS)
    return `OCSP response is from the future (thisUpdate ${single.thisUpdate.toISOString()})`;
  if (single.nextUpdate !== undefined) {
    return single.nextUpdate.getTime() < at.getTime()
      ? `OCSP response is stale (nextUpdate ${single.nextUpdate.toISOString()})`
      : null;
  }
  return at.getTime() - single.thisUpdate.getTime() > MAX_AGE_WITHOUT_NEXT_UPDATE_MS
    ? 'OCSP response without nextUpdate is too old'
    : null;
}

function rememberGood(cache: OcspCache, issuer: ParsedCertificate, serial: string, entry: CachedGood): void {
  let bySerial = cache.good.get(issuer);
  if (bySerial === undefined) {
    bySerial = new Map();
    cache.good.set(issuer, bySerial);
  }
  bySerial.set(serial, entry);
}
