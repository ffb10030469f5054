// The certificate extensions PKI-AUTH acts on, read with the strict DER reader (RFC 5280 §4.2): basicConstraints,
// keyUsage, certificatePolicies, subjectAltName (card UUID URI, FASC-N otherName); the presence of policyMappings
// and of the constraints only pkijs processes. The other extensions @peculiar/x509 used to decode on every parse
// (EKU, key identifiers, CRL distribution points, AIA, issuerAltName) are still checked for their shape, so a
// malformed one is refused as before. Unknown non-critical extensions stay opaque; critical ones this issuer does
// not understand are listed, for the end-entity profile to refuse.
import {
  DerReader, TAG, checkWellFormed, contentOf, contextConstructed, contextPrimitive, derFail, elementsOf, readBitString,
  readBoolean, checkOid, readOid, readSmallInteger, wrappedElement, type DerElement,
} from '../der/strict-der.ts';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
} as const;

/**
 * Extensions that may be critical in a card certificate: the ones RFC 5280 §4.2 says every application MUST (or
 * SHOULD) recognize, which this issuer, pkijs or OpenSSL's X509_check_issued processes. Any other critical
 * extension makes the certificate unusable here (RFC 5280 §4.2: "MUST reject").
 */
const UNDERSTOOD_WHEN_CRITICAL: ReadonlySet<string> = new Set([
  OID.keyUsage, OID.basicConstraints, OID.certificatePolicies, OID.subjectAltName, OID.extKeyUsage,
  OID.nameConstraints, OID.policyConstraints, OID.inhibitAnyPolicy, OID.policyMappings,
  OID.authorityKeyIdentifier, OID.subjectKeyIdentifier,
]);

/** Nesting bound for parts checked only for well-formed DER (qualifiers, distribution points, names). */
const GENERIC_DEPTH = 12;
/**
 * Count limits, far above real certificates (a PIV card has ~8 extensions, 1–3 policies and SAN names; bridge
 * cross-certificates a few dozen policies), so a hostile certificate cannot make the read cost milliseconds.
 */
export const MAX_EXTENSIONS = 64;
export const MAX_POLICIES = 128;
export const MAX_GENERAL_NAMES = 128;

export interface BasicConstraints { readonly ca: boolean; readonly pathLength: number | undefined }

/** One otherName of a subjectAltName: its type and, when its value is a single OCTET STRING, that string's octets. */
export interface OtherName { readonly typeId: string; readonly octetString: Uint8Array | null }

export interface SubjectAltNames {
  readonly uris: readonly string[];
  readonly otherNames: readonly OtherName[];
}

export interface CertificateExtensions {
  /** Every extension present (OID → critical); each OID at most once. */
  readonly present: ReadonlyMap<string, boolean>;
  readonly basicConstraints: BasicConstraints | null;
  /** KeyUsageFlags bits as @peculiar/x509 numbers them (digitalSignature = 1 … decipherOnly = 256); null when absent. */
  readonly keyUsage: number | null;
  /** Policy OIDs in order; null when the extension is absent. */
  readonly certificatePolicies: readonly string[] | null;
  readonly subjectAltName: SubjectAltNames | null;
  /** The cRLDistributionPoints extnValue octets (shape checked), read by revocation/ when a CRL's scope needs them. */
  readonly crlDistributionPoints: Uint8Array | null;
  /** Critical extensions outside UNDERSTOOD_WHEN_CRITICAL. */
  readonly unrecognizedCritical: readonly string[];
}

interface MutableExtensions {
  present: Map<string, boolean>;
  basicConstraints: BasicConstraints | null;
  keyUsage: number | null;
  certificatePolicies: string[] | null;
  subjectAltName: SubjectAltNames | null;
  crlDistributionPoints: Uint8Array | null;
  unrecognizedCritical: string[];
}

/** `wrapper` is the [3] EXPLICIT element of the TBSCertificate. */
export function readExtensions(bytes: Uint8Array, wrapper: DerElement | null): CertificateExtensions {
  const result: MutableExtensions = {
    present: new Map(), basicConstraints: null, keyUsage: null, certificatePolicies: null, subjectAltName: null, crlDistributionPoints: null, unrecognizedCritical: [],
  };
  if (wrapper === null) return result;
  const list = wrappedElement(bytes, wrapper, TAG.SEQUENCE, 'extensions');
  // SIZE (1..MAX), but @peculiar/x509 (and other encoders) write an empty list for "no extensions": harmless.
  const extensions = elementsOf(bytes, list, 'extensions', false);
  if (extensions.length > MAX_EXTENSIONS) derFail(`more than ${MAX_EXTENSIONS} extensions`);
  for (const extension of extensions) {
    if (extension.tag !== TAG.SEQUENCE) derFail('extension is not a SEQUENCE');
    const fields = new DerReader(bytes, extension, 'extension');
    const oid = readOid(bytes, fields.next(TAG.OID, 'extnID'));
    const criticalElement = fields.optional(TAG.BOOLEAN, 'critical');
    // An explicit FALSE is not DER (DEFAULT FALSE is omitted) but is unambiguous; OpenSSL and pkijs accept it too.
    const critical = criticalElement === null ? false : readBoolean(bytes, criticalElement);
    const value = fields.next(TAG.OCTET_STRING, 'extnValue');
    fields.done();
    if (result.present.has(oid)) derFail(`extension ${oid} appears more than once`);
    result.present.set(oid, critical);
    if (critical && !UNDERSTOOD_WHEN_CRITICAL.has(oid)) result.unrecognizedCritical.push(oid);
    readKnownExtension(bytes, oid, value, result);
  }
  return result;
}

function readKnownExtension(bytes: Uint8Array, oid: string, value: DerElement, into: MutableExtensions): void {
  switch (oid) {
    case OID.basicConstraints: into.basicConstraints = readBasicConstraints(bytes, value); return;
    case OID.keyUsage: into.keyUsage = readKeyUsage(bytes, value); return;
    case OID.certificatePolicies: into.certificatePolicies = readCertificatePolicies(bytes, value); return;
    case OID.subjectAltName: into.subjectAltName = readGeneralNames(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'subjectAltName')); return;
    case OID.issuerAltName: readGeneralNames(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'issuerAltName')); return;
    case OID.extKeyUsage: readOidList(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'extKeyUsage'), 'extKeyUsage'); return;
    case OID.subjectKeyIdentifier: wrappedElement(bytes, value, TAG.OCTET_STRING, 'subjectKeyIdentifier'); return;
    case OID.authorityKeyIdentifier: readAuthorityKeyIdentifier(bytes, value); return;
    case OID.policyMappings: readPolicyMappings(bytes, value); return;
    case OID.crlDistributionPoints:
      into.crlDistributionPoints = contentOf(bytes, value);
      readSequenceOfSequences(bytes, value, oid); return;
    case OID.freshestCrl:
    case OID.authorityInfoAccess:
    case OID.subjectInfoAccess:
      readSequenceOfSequences(bytes, value, oid); return;
    case OID.nameConstraints:
    case OID.policyConstraints:
      checkWellFormed(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, oid), GENERIC_DEPTH); return;
    case OID.inhibitAnyPolicy: readSmallInteger(bytes, wrappedElement(bytes, value, TAG.INTEGER, oid), 2 ** 31 - 1); return;
    default: return; // unknown: opaque (see unrecognizedCritical for critical ones)
  }
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function readBasicConstraints(bytes: Uint8Array, value: DerElement): BasicConstraints {
  const fields = new DerReader(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'basicConstraints'), 'basicConstraints');
  const caElement = fields.optional(TAG.BOOLEAN, 'cA');
  const pathElement = fields.optional(TAG.INTEGER, 'pathLenConstraint');
  fields.done();
  return {
    ca: caElement === null ? false : readBoolean(bytes, caElement),
    pathLength: pathElement === null ? undefined : readSmallInteger(bytes, pathElement, 2 ** 31 - 1),
  };
}

/** KeyUsage ::= BIT STRING { digitalSignature (0) … decipherOnly (8) }: bit n becomes flag 2^n. */
function readKeyUsage(bytes: Uint8Array, value: DerElement): number {
  const bits = readBitString(bytes, wrappedElement(bytes, value, TAG.BIT_STRING, 'keyUsage'));
  if (bits.bytes.byteLength > 2) derFail('keyUsage names bits beyond decipherOnly');
  let flags = 0;
  for (let bit = 0; bit < bits.bytes.byteLength * 8; bit += 1) {
    if (((bits.bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) flags |= 1 << bit;
  }
  if (flags >= 1 << 9) derFail('keyUsage names bits beyond decipherOnly');
  return flags;
}

/** certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation; each OID at most once (RFC 5280 §4.2.1.4). */
function readCertificatePolicies(bytes: Uint8Array, value: DerElement): string[] {
  const policies = new Set<string>();
  const informations = elementsOf(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'certificatePolicies'), 'certificatePolicies', true);
  if (informations.length > MAX_POLICIES) derFail(`certificatePolicies names more than ${MAX_POLICIES} policies`);
  for (const information of informations) {
    if (information.tag !== TAG.SEQUENCE) derFail('PolicyInformation is not a SEQUENCE');
    const fields = new DerReader(bytes, information, 'PolicyInformation');
    const oid = readOid(bytes, fields.next(TAG.OID, 'policyIdentifier'));
    const qualifiers = fields.optional(TAG.SEQUENCE, 'policyQualifiers');
    fields.done();
    if (qualifiers !== null) {
      for (const qualifier of elementsOf(bytes, qualifiers, 'policyQualifiers', true)) {
        if (qualifier.tag !== TAG.SEQUENCE) derFail('PolicyQualifierInfo is not a SEQUENCE');
        const parts = new DerReader(bytes, qualifier, 'PolicyQualifierInfo');
        checkOid(bytes, parts.next(TAG.OID, 'policyQualifierId'));
        checkWellFormed(bytes, parts.any('qualifier'), GENERIC_DEPTH);
        parts.done();
      }
    }
    if (policies.has(oid)) derFail(`certificatePolicies names ${oid} more than once`);
    policies.add(oid);
  }
  return [...policies];
}

/** Its presence is what policy.ts acts on; the shape is still checked. SEQUENCE OF SEQUENCE { OID, OID }. */
function readPolicyMappings(bytes: Uint8Array, value: DerElement): void {
  for (const mapping of elementsOf(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'policyMappings'), 'policyMappings', false)) {
    if (mapping.tag !== TAG.SEQUENCE) derFail('policy mapping is not a SEQUENCE');
    const fields = new DerReader(bytes, mapping, 'policy mapping');
    checkOid(bytes, fields.next(TAG.OID, 'issuerDomainPolicy'));
    checkOid(bytes, fields.next(TAG.OID, 'subjectDomainPolicy'));
    fields.done();
  }
}

function readOidList(bytes: Uint8Array, list: DerElement, what: string): void {
  for (const element of elementsOf(bytes, list, what, true)) checkOid(bytes, element);
}

/** AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] authorityCertIssuer, [2] serial } all optional. */
function readAuthorityKeyIdentifier(bytes: Uint8Array, value: DerElement): void {
  const fields = new DerReader(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'authorityKeyIdentifier'), 'authorityKeyIdentifier');
  fields.optional(contextPrimitive(0), 'keyIdentifier');
  const issuer = fields.optional(contextConstructed(1), 'authorityCertIssuer');
  if (issuer !== null) readGeneralNames(bytes, issuer);
  fields.optional(contextPrimitive(2), 'authorityCertSerialNumber');
  fields.done();
}

/** CRL distribution points, AIA, SIA: SEQUENCE SIZE (1..MAX) OF SEQUENCE, each well-formed. */
function readSequenceOfSequences(bytes: Uint8Array, value: DerElement, what: string): void {
  for (const item of elementsOf(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, what), what, true)) {
    if (item.tag !== TAG.SEQUENCE) derFail(`${what} item is not a SEQUENCE`);
    checkWellFormed(bytes, item, GENERIC_DEPTH);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (RFC 5280 §4.2.1.6); `list` is the SEQUENCE or [n] IMPLICIT. */
export function readGeneralNames(bytes: Uint8Array, list: DerElement): SubjectAltNames {
  const uris: string[] = [];
  const otherNames: OtherName[] = [];
  const names = elementsOf(bytes, list, 'GeneralNames', true);
  if (names.length > MAX_GENERAL_NAMES) derFail(`more than ${MAX_GENERAL_NAMES} names in GeneralNames`);
  for (const name of names) {
    switch (name.tag) {
      case contextConstructed(0): otherNames.push(readOtherName(bytes, name)); break;
      case contextPrimitive(1): case contextPrimitive(2): ia5Text(bytes, name); break; // rfc822Name, dNSName
      case contextPrimitive(6): uris.push(ia5Text(bytes, name)); break;
      case contextConstructed(3): case contextConstructed(5): checkWellFormed(bytes, name, GENERIC_DEPTH); break;
      case contextConstructed(4): checkName(bytes, wrappedElement(bytes, name, TAG.SEQUENCE, 'directoryName')); break;
      case contextPrimitive(7): if (![4, 8, 16, 32].includes(name.end - name.contentStart)) derFail('iPAddress of a bad length'); break;
      case contextPrimitive(8): checkOid(bytes, { ...name, tag: TAG.OID }); break;
      default: derFail(`GeneralName with tag 0x${name.tag.toString(16)}`);
    }
  }
  return { uris, otherNames };
}

/** OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY } (IMPLICIT [0] in GeneralName). */
function readOtherName(bytes: Uint8Array, name: DerElement): OtherName {
  const fields = new DerReader(bytes, name, 'otherName');
  const typeId = readOid(bytes, fields.next(TAG.OID, 'type-id'));
  const explicit = fields.next(contextConstructed(0), 'value');
  fields.done();
  const inner = new DerReader(bytes, explicit, 'otherName value');
  const value = inner.any('value');
  inner.done();
  checkWellFormed(bytes, value, GENERIC_DEPTH);
  return { typeId, octetString: value.tag === TAG.OCTET_STRING ? contentOf(bytes, value) : null };
}

/** IA5String content: 7-bit characters only. */
function ia5Text(bytes: Uint8Array, element: DerElement): string {
  const content = contentOf(bytes, element);
  for (const byte of content) if (byte >= 0x80) derFail('IA5String with a non-ASCII octet');
  return Buffer.from(content).toString('latin1');
}

/**
 * Name ::= SEQUENCE OF RelativeDistinguishedName (SET SIZE (1..MAX) OF SEQUENCE { type OID, value ANY }).
 * Read as a whole (its text is made by @peculiar/x509 when needed), so only its shape is checked here.
 */
export function checkName(bytes: Uint8Array, name: DerElement): void {
  if (name.tag !== TAG.SEQUENCE) derFail('Name is not a SEQUENCE');
  for (const rdn of elementsOf(bytes, name, 'Name', false)) {
    if (rdn.tag !== TAG.SET) derFail('RelativeDistinguishedName is not a SET');
    for (const attribute of elementsOf(bytes, rdn, 'RelativeDistinguishedName', true)) {
      if (attribute.tag !== TAG.SEQUENCE) derFail('AttributeTypeAndValue is not a SEQUENCE');
      const fields = new DerReader(bytes, attribute, 'AttributeTypeAndValue');
      checkOid(bytes, fields.next(TAG.OID, 'type'));
      checkWellFormed(bytes, fields.any('value'), GENERIC_DEPTH);
      fields.done();
    }
  }
}

