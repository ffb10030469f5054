/**
 * The JSON shape of what the PIV card edge reports about a card (`dck card info --json`, the
 * kiosk's card screen, diagnostics). Stable: add optional fields, never rename or remove;
 * bump `CardInfo.schemaVersion` for breaking changes. Types only — no runtime code here, so
 * main, renderer and issuer can all import it.
 *
 * Conventions: byte strings are lowercase hex without separators; dates are ISO 8601;
 * "absent" is `null`, never `undefined`, so JSON keeps every key.
 */

/** FASC-N fields, each a string of ASCII digits of its fixed width (TIG SCEPACS). */
export interface FascnFields {
  /** Agency code, 4 digits. */
  readonly agencyCode: string;
  /** System code, 4 digits. */
  readonly systemCode: string;
  /** Credential number, 6 digits. */
  readonly credentialNumber: string;
  /** Credential series (CS), 1 digit. */
  readonly credentialSeries: string;
  /** Individual credential issue (ICI), 1 digit. */
  readonly individualCredentialIssue: string;
  /** Person identifier (PI), 10 digits. */
  readonly personIdentifier: string;
  /** Organizational category (OC), 1 digit: 1 federal, 2 state, 3 commercial, 4 foreign. */
  readonly organizationalCategory: string;
  /** Organizational identifier (OI), 4 digits. */
  readonly organizationalIdentifier: string;
  /** Person/organization association (POA), 1 digit: 1 employee, 2 civil, 3 executive staff, ... */
  readonly personOrganizationAssociation: string;
}

/** A decoded FASC-N with its integrity checks; decoded even when a check fails so it can be shown. */
export interface FascnInfo extends FascnFields {
  /** The 25 raw bytes. */
  readonly hex: string;
  /** Every 5-bit character has odd parity. */
  readonly parityOk: boolean;
  /** The LRC character matches. */
  readonly lrcOk: boolean;
}

/** Card Holder Unique Identifier (SP 800-73-4 Part 1 §3.1.2, object 5FC102). */
export interface ChuidInfo {
  /** Tag 30; null when absent or not decodable (see `fascnError`). */
  readonly fascn: FascnInfo | null;
  /** Why the FASC-N could not be decoded (an error code), or null. */
  readonly fascnError: string | null;
  /** Tag 34 Card UUID (GUID) as 8-4-4-4-12 lowercase; null when absent or all zero. */
  readonly guid: string | null;
  /** Tag 35 expiration date as YYYY-MM-DD; null when absent or not a valid date. */
  readonly expirationDate: string | null;
  /** Tag 36 cardholder UUID as 8-4-4-4-12 lowercase; null when absent. */
  readonly cardholderUuid: string | null;
  /** Tag 3E issuer asymmetric signature present and non-empty. Not verified here. */
  readonly signed: boolean;
}

/** Discovery object (SP 800-73-4 Part 1 §3.3.2, tag 7E). */
export interface DiscoveryInfo {
  /** Tag 4F: the PIV application AID. */
  readonly aid: string;
  /** PIN usage policy byte 1, bit 0x40: the PIV application PIN satisfies access rules. */
  readonly applicationPinSatisfies: boolean;
  /** PIN usage policy byte 1, bit 0x20: the global PIN satisfies access rules. */
  readonly globalPinSatisfies: boolean;
  /** PIN usage policy byte 1, bit 0x10: on-card biometric comparison satisfies access rules. */
  readonly occSatisfies: boolean;
  /** Which PIN to VERIFY: 'global' (reference 00) only when byte 2 is 0x20 and the global PIN satisfies. */
  readonly primaryPin: PinReferenceName;
}

export type PinReferenceName = 'application' | 'global';

/** PIN retry state from an empty VERIFY: tries left, 'blocked', or already 'verified'. */
export type PinTries = number | 'blocked' | 'verified';

export interface PinStatusInfo {
  /** The PIN this status is for. */
  readonly reference: PinReferenceName;
  readonly triesLeft: PinTries;
}

/** X.509 certificate summary (RFC 5280 fields + the PIV SAN entries). */
export interface CertificateSummary {
  /** Subject DN as text, attributes in certificate order, e.g. "CN=Ada Lovelace, OU=People, O=Agency, C=US". */
  readonly subject: string;
  /** Subject common name (the kiosk greets the person by it); null when there is none. */
  readonly commonName: string | null;
  /** Issuer DN as text, same form as `subject`. */
  readonly issuer: string;
  /** Serial number, lowercase hex. */
  readonly serialNumber: string;
  /** ISO 8601. */
  readonly notBefore: string;
  /** ISO 8601. */
  readonly notAfter: string;
  /** 'RSA' | 'EC' | other Node key type names ('ed25519', ...). */
  readonly keyAlgorithm: string;
  /** RSA modulus length in bits; null for EC and others. */
  readonly keySize: number | null;
  /** EC curve as 'P-256' / 'P-384' / 'P-521' (or the Node name for others); null for RSA. */
  readonly curve: string | null;
  /** certificatePolicies OIDs, in certificate order. */
  readonly policyOids: readonly string[];
  /** SAN otherName 2.16.840.1.101.3.6.6; null when absent or not decodable. */
  readonly fascn: FascnInfo | null;
  /** SAN URI urn:uuid:…, lowercase UUID without the prefix; null when absent. */
  readonly uuid: string | null;
  /** SHA-256 of the DER certificate, lowercase hex. */
  readonly sha256Fingerprint: string;
}

/** PIV key slots with X.509 certificates read by `dck card info`. */
export type CertificateSlot = '9A' | '9C' | '9D' | '9E';

/** Application Property Template from SELECT (tag 61). */
export interface ApplicationInfo {
  /** Tag 4F (PIX of the AID, or the full AID on some cards). */
  readonly aid: string;
  /** Tag 50 application label; null when absent. */
  readonly label: string | null;
  /** Tag 5F50 URL; null when absent. */
  readonly url: string | null;
  /** Tag AC/80 algorithm identifiers the card announces (e.g. 7 RSA-2048, 17 P-256, 20 P-384). */
  readonly algorithms: readonly number[];
}

/** A problem reading one object, recorded instead of failing the whole report. */
export interface CardReadProblem {
  /** e.g. 'chuid', 'discovery', 'certificate-9C', 'pin-status'. */
  readonly object: string;
  /** A PivError code ('security-status', 'malformed-certificate', ...). */
  readonly code: string;
  readonly message: string;
}

/** Everything `dck card info` reports without a PIN. */
export interface CardInfo {
  readonly schemaVersion: 1;
  /** Answer-to-reset, lowercase hex. */
  readonly atr: string;
  /** The ATR's card capabilities announce extended Lc/Le. */
  readonly supportsExtendedLength: boolean;
  readonly application: ApplicationInfo;
  /** null when the card has no CHUID (6A82) or it could not be read (see problems). */
  readonly chuid: ChuidInfo | null;
  /** null when the card has no discovery object: the application PIN is then primary. */
  readonly discovery: DiscoveryInfo | null;
  /** Summary per slot, or null when the slot has no certificate (or it is unreadable). */
  readonly certificates: Readonly<Record<CertificateSlot, CertificateSummary | null>>;
  /** Tries left for the primary PIN; null when it could not be read. */
  readonly pin: PinStatusInfo | null;
  readonly problems: readonly CardReadProblem[];
}

/** Just what the kiosk needs to greet a person and decide whether to ask for a PIN. */
export interface AuthenticationIdentity {
  /** Summary of the PIV Authentication certificate (slot 9A). */
  readonly certificate: CertificateSummary;
  readonly pin: PinStatusInfo;
}
