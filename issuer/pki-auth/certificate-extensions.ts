// The certificate extensions PKI-AUTH acts on, read with the strict DER reader (RFC 5280 §4.2): basicConstraints,
// keyUsage, certificatePolicies, subjectAltName (every name, typed: the card UUID URI and FASC-N otherName for the
// identity, the rest for name constraints), and what RFC 5280 §6.1 path validation processes: policyMappings,
// policyConstraints, inhibitAnyPolicy, nameConstraints. The other extensions @peculiar/x509 used to decode on every parse
// (EKU, key identifiers, CRL distribution points, AIA, issuerAltName) are still checked for their shape, so a
// malformed one is refused as before. Unknown non-critical extensions stay opaque; critical ones this issuer does
// not understand are listed, for the end-entity profile to refuse.
import {
  DerReader,
  TAG,
  checkWellFormed,
  contentOf,
  contextConstructed,
  contextPrimitive,
  derFail,
  elementsOf,
  encodedOf,
  readBitString,
  readBoolean,
  checkOid,
  readOid,
  readSmallInteger,
  wrappedElement,
  type DerElement,
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
  OID.keyUsage,
  OID.basicConstraints,
  OID.certificatePolicies,
  OID.subjectAltName,
  OID.extKeyUsage,
  OID.nameConstraints,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.policyMappings,
  OID.authorityKeyIdentifier,
  OID.subjectKeyIdentifier,
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

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLength: number | undefined;
}

/** One otherName of a subjectAltName: its type and, when its value is a single OCTET STRING, that string's octets. */
export interface OtherName {
  readonly typeId: string;
  readonly octetString: Uint8Array | null;
}

/**
 * One GeneralName (RFC 5280 §4.2.1.6), typed for name-constraint processing. directoryName keeps the Name's DER;
 * x400Address, ediPartyName and registeredID are only told apart (no constraint of those forms is processed).
 */
export type GeneralName =
  | { readonly kind: 'rfc822Name' | 'dNSName' | 'uniformResourceIdentifier'; readonly text: string }
  | { readonly kind: 'directoryName'; readonly name: Uint8Array }
  | { readonly kind: 'iPAddress'; readonly octets: Uint8Array }
  | { readonly kind: 'otherName'; readonly typeId: string }
  | { readonly kind: 'x400Address' | 'ediPartyName' | 'registeredID' };

export interface SubjectAltNames {
  readonly uris: readonly string[];
  readonly otherNames: readonly OtherName[];
  readonly all: readonly GeneralName[];
}

/** policyMappings (RFC 5280 §4.2.1.5): issuerDomainPolicy → subjectDomainPolicy, in certificate order. */
export interface PolicyMapping {
  readonly issuerDomainPolicy: string;
  readonly subjectDomainPolicy: string;
}

/** policyConstraints (RFC 5280 §4.2.1.11): SkipCerts values, undefined when absent. */
export interface PolicyConstraints {
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
}

/**
 * nameConstraints (RFC 5280 §4.2.1.10): the base names of the permitted and excluded subtrees (minimum 0, no
 * maximum: the only form the profile allows). `permitted` is null when the field is absent.
 */
export interface NameConstraints {
  readonly permitted: readonly GeneralName[] | null;
  readonly excluded: readonly GeneralName[];
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
  /** null when the extension is absent (likewise below). */
  readonly policyMappings: readonly PolicyMapping[] | null;
  readonly policyConstraints: PolicyConstraints | null;
  /** inhibitAnyPolicy's SkipCerts. */
  readonly inhibitAnyPolicy: number | null;
  readonly nameConstraints: NameConstraints | null;
  /** The cRLDistributionPoints extnValue octets (shape checked), read by revocation/ when a CRL's scope needs them. */
  readonly crlDistributionPoints: Uint8Array | null;
  /** The authorityInfoAccess extnValue octets (shape checked), read by the binding record for the card's OCSP URL. */
  readonly authorityInfoAccess: Uint8Array | null;
  /** Critical extensions outside UNDERSTOOD_WHEN_CRITICAL. */
  readonly unrecognizedCritical: readonly string[];
}

interface MutableExtensions {
  present: Map<string, boolean>;
  basicConstraints: BasicConstraints | null;
  keyUsage: number | null;
  certificatePolicies: string[] | null;
  subjectAltName: SubjectAltNames | null;
  policyMappings: PolicyMapping[] | null;
  policyConstraints: PolicyConstraints | null;
  inhibitAnyPolicy: number | null;
  nameConstraints: NameConstraints | null;
  crlDistributionPoints: Uint8Array | null;
  authorityInfoAccess: Uint8Array | null;
  unrecognizedCritical: string[];
}

/** `wrapper` is the [3] EXPLICIT element of the TBSCertificate. */
export function readExtensions(bytes: Uint8Array, wrapper: DerElement | null): CertificateExtensions {
  const result: MutableExtensions = {
    present: new Map(),
    basicConstraints: null,
    keyUsage: null,
    certificatePolicies: null,
    subjectAltName: null,
    policyMappings: null,
    policyConstraints: null,
    inhibitAnyPolicy: null,
    nameConstraints: null,
    crlDistributionPoints: null,
    authorityInfoAccess: null,
    unrecognizedCritical: [],
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
    case OID.basicConstraints:
      into.basicConstraints = readBasicConstraints(bytes, value);
      return;
    case OID.keyUsage:
      into.keyUsage = readKeyUsage(bytes, value);
      return;
    case OID.certificatePolicies:
      into.certificatePolicies = readCertificatePolicies(bytes, value);
      return;
    case OID.subjectAltName:
      into.subjectAltName = readGeneralNames(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'subjectAltName'));
      return;
    case OID.issuerAltName:
      readGeneralNames(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'issuerAltName'));
      return;
    case OID.extKeyUsage:
      readOidList(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'extKeyUsage'), 'extKeyUsage');
      return;
    case OID.subjectKeyIdentifier:
      wrappedElement(bytes, value, TAG.OCTET_STRING, 'subjectKeyIdentifier');
      return;
    case OID.authorityKeyIdentifier:
      readAuthorityKeyIdentifier(bytes, value);
      return;
    case OID.policyMappings:
      into.policyMappings = readPolicyMappings(bytes, value);
      return;
    case OID.crlDistributionPoints:
      into.crlDistributionPoints = contentOf(bytes, value);
      readSequenceOfSequences(bytes, value, oid);
      return;
    case OID.authorityInfoAccess:
      into.authorityInfoAccess = contentOf(bytes, value);
      readSequenceOfSequences(bytes, value, oid);
      return;
    case OID.freshestCrl:
    case OID.subjectInfoAccess:
      readSequenceOfSequences(bytes, value, oid);
      return;
    case OID.nameConstraints:
      into.nameConstraints = readNameConstraints(bytes, value);
      return;
    case OID.policyConstraints:
      into.policyConstraints = readPolicyConstraints(bytes, value);
      return;
    case OID.inhibitAnyPolicy:
      into.inhibitAnyPolicy = readSmallInteger(bytes, wrappedElement(bytes, value, TAG.INTEGER, oid), MAX_SKIP_CERTS);
      return;
    default:
      return; // unknown: opaque (see unrecognizedCritical for critical ones)
  }
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function readBasicConstraints(bytes: Uint8Array, value: DerElement): BasicConstraints {
  const fields = new DerReader(
    bytes,
    wrappedElement(bytes, value, TAG.SEQUENCE, 'basicConstraints'),
    'basicConstraints',
  );
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
  const informations = elementsOf(
    bytes,
    wrappedElement(bytes, value, TAG.SEQUENCE, 'certificatePolicies'),
    'certificatePolicies',
    true,
  );
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

/** SkipCerts ::= INTEGER (0..MAX); real values are 0..a few. */
const MAX_SKIP_CERTS = 2 ** 31 - 1;

/** PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuerDomainPolicy OID, subjectDomainPolicy OID }. */
function readPolicyMappings(bytes: Uint8Array, value: DerElement): PolicyMapping[] {
  const mappings = elementsOf(
    bytes,
    wrappedElement(bytes, value, TAG.SEQUENCE, 'policyMappings'),
    'policyMappings',
    true,
  );
  if (mappings.length > MAX_POLICIES) derFail(`policyMappings has more than ${MAX_POLICIES} mappings`);
  return mappings.map((mapping) => {
    if (mapping.tag !== TAG.SEQUENCE) derFail('policy mapping is not a SEQUENCE');
    const fields = new DerReader(bytes, mapping, 'policy mapping');
    const issuerDomainPolicy = readOid(bytes, fields.next(TAG.OID, 'issuerDomainPolicy'));
    const subjectDomainPolicy = readOid(bytes, fields.next(TAG.OID, 'subjectDomainPolicy'));
    fields.done();
    return { issuerDomainPolicy, subjectDomainPolicy };
  });
}

/**
 * PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] IMPLICIT SkipCerts OPTIONAL,
 * inhibitPolicyMapping [1] IMPLICIT SkipCerts OPTIONAL }; RFC 5280 §4.2.1.11: MUST NOT be an empty sequence.
 */
function readPolicyConstraints(bytes: Uint8Array, value: DerElement): PolicyConstraints {
  const fields = new DerReader(
    bytes,
    wrappedElement(bytes, value, TAG.SEQUENCE, 'policyConstraints'),
    'policyConstraints',
  );
  const skipCerts = (element: DerElement | null): number | undefined =>
    element === null ? undefined : readSmallInteger(bytes, { ...element, tag: TAG.INTEGER }, MAX_SKIP_CERTS);
  const requireExplicitPolicy = skipCerts(fields.optional(contextPrimitive(0), 'requireExplicitPolicy'));
  const inhibitPolicyMapping = skipCerts(fields.optional(contextPrimitive(1), 'inhibitPolicyMapping'));
  fields.done();
  if (requireExplicitPolicy === undefined && inhibitPolicyMapping === undefined)
    derFail('policyConstraints is an empty sequence');
  return { requireExplicitPolicy, inhibitPolicyMapping };
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, excludedSubtrees [1] OPTIONAL },
 * GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] BaseDistance DEFAULT 0, maximum [1] OPTIONAL }.
 * RFC 5280 §4.2.1.10: not empty, minimum MUST be zero and maximum MUST be absent, so anything else is refused
 * rather than read with a meaning no CA gives it.
 */
function readNameConstraints(bytes: Uint8Array, value: DerElement): NameConstraints {
  const fields = new DerReader(bytes, wrappedElement(bytes, value, TAG.SEQUENCE, 'nameConstraints'), 'nameConstraints');
  const permitted = fields.optional(contextConstructed(0), 'permittedSubtrees');
  const excluded = fields.optional(contextConstructed(1), 'excludedSubtrees');
  fields.done();
  if (permitted === null && excluded === null) derFail('nameConstraints is an empty sequence');
  return {
    permitted: permitted === null ? null : readGeneralSubtrees(bytes, permitted),
    excluded: excluded === null ? [] : readGeneralSubtrees(bytes, excluded),
  };
}

function readGeneralSubtrees(bytes: Uint8Array, list: DerElement): GeneralName[] {
  const subtrees = elementsOf(bytes, list, 'GeneralSubtrees', true);
  if (subtrees.length > MAX_GENERAL_NAMES) derFail(`more than ${MAX_GENERAL_NAMES} name-constraint subtrees`);
  return subtrees.map((subtree) => {
    if (subtree.tag !== TAG.SEQUENCE) derFail('GeneralSubtree is not a SEQUENCE');
    const fields = new DerReader(bytes, subtree, 'GeneralSubtree');
    const base = readGeneralName(bytes, fields.any('base'), 'subtree');
    // minimum DEFAULT 0 is omitted in DER, so a present minimum is non-zero: not allowed, like a maximum.
    if (!fields.atEnd) derFail('name-constraint subtree with a minimum or maximum (RFC 5280 §4.2.1.10 forbids them)');
    return base;
  });
}

function readOidList(bytes: Uint8Array, list: DerElement, what: string): void {
  for (const element of elementsOf(bytes, list, what, true)) checkOid(bytes, element);
}

/** AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] authorityCertIssuer, [2] serial } all optional. */
function readAuthorityKeyIdentifier(bytes: Uint8Array, value: DerElement): void {
  const fields = new DerReader(
    bytes,
    wrappedElement(bytes, value, TAG.SEQUENCE, 'authorityKeyIdentifier'),
    'authorityKeyIdentifier',
  );
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
  const all: GeneralName[] = [];
  const names = elementsOf(bytes, list, 'GeneralNames', true);
  if (names.length > MAX_GENERAL_NAMES) derFail(`more than ${MAX_GENERAL_NAMES} names in GeneralNames`);
  for (const element of names) {
    if (element.tag === contextConstructed(0)) {
      const otherName = readOtherName(bytes, element);
      otherNames.push(otherName);
      all.push({ kind: 'otherName', typeId: otherName.typeId });
      continue;
    }
    const name = readGeneralName(bytes, element, 'name');
    if (name.kind === 'uniformResourceIdentifier') uris.push(name.text);
    all.push(name);
  }
  return { uris, otherNames, all };
}

/**
 * One GeneralName. In a subtree (`role` 'subtree') an iPAddress is an address and a mask (8 or 32 octets); in a
 * name it is an address (4 or 16 octets).
 */
function readGeneralName(bytes: Uint8Array, name: DerElement, role: 'name' | 'subtree'): GeneralName {
  switch (name.tag) {
    case contextConstructed(0):
      return { kind: 'otherName', typeId: readOtherName(bytes, name).typeId };
    case contextPrimitive(1):
      return { kind: 'rfc822Name', text: ia5Text(bytes, name) };
    case contextPrimitive(2):
      return { kind: 'dNSName', text: ia5Text(bytes, name) };
    case contextPrimitive(6):
      return { kind: 'uniformResourceIdentifier', text: ia5Text(bytes, name) };
    case contextConstructed(3):
      checkWellFormed(bytes, name, GENERIC_DEPTH);
      return { kind: 'x400Address' };
    case contextConstructed(5):
      checkWellFormed(bytes, name, GENERIC_DEPTH);
      return { kind: 'ediPartyName' };
    case contextConstructed(4): {
      const inner = wrappedElement(bytes, name, TAG.SEQUENCE, 'directoryName');
      checkName(bytes, inner);
      return { kind: 'directoryName', name: encodedOf(bytes, inner) };
    }
    case contextPrimitive(7): {
      const octets = contentOf(bytes, name);
      const lengths = role === 'name' ? [4, 16] : [8, 32];
      if (!lengths.includes(octets.byteLength))
        derFail(`iPAddress ${role === 'name' ? '' : 'subtree '}of a bad length`);
      return { kind: 'iPAddress', octets };
    }
    case contextPrimitive(8):
      checkOid(bytes, { ...name, tag: TAG.OID });
      return { kind: 'registeredID' };
    default:
      return derFail(`GeneralName with tag 0x${name.tag.toString(16)}`);
  }
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
