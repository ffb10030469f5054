/**
 * A throw-away PKI for tests and the demo card: root CA → intermediate CA → card PIV Authentication
 * certificates shaped like FIPS 201 / the Federal PKI Common policy expects them.
 *
 * Everything is generated in memory at run time; no private key is ever written to the repository.
 * CA private keys are exposed on purpose so tests can sign CRLs and OCSP responses with them.
 *
 *   const pki = await createTestPki();
 *   const card = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Test Holder' });
 *   card.der            // DER certificate for the 9A object
 *   card.privateKeyPkcs8 // what the virtual card signs with
 */
import 'reflect-metadata';
import { webcrypto, randomUUID } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  GeneralName as AsnGeneralName,
  OtherName,
  SubjectAlternativeName,
  id_ce_subjectAltName,
} from '@peculiar/asn1-x509';

const crypto = webcrypto as unknown as Crypto;

/** Key algorithms a PIV Authentication key may use on our cards (SP 800-78-4 subset). */
export type CardKeyAlgorithm = 'RSA-2048' | 'P-256' | 'P-384';

/** OID of the FIPS 201 PIV-Authentication policy (id-fpki-common-authentication). */
export const PIV_AUTH_POLICY_OID = '2.16.840.1.101.3.2.1.3.13';
/** OID of the FASC-N otherName in the subjectAltName (FIPS 201, pivFASC-N). */
export const PIV_FASCN_OTHERNAME_OID = '2.16.840.1.101.3.6.6';
/**
 * The FASC-N used when a test gives none: agency 9999, system 9999, credential 999999, CS 0, ICI 1,
 * PI 0000000000, OC 3, OI 0000, POA 1 (the known vector of issue 2; helper A's piv/fascn.ts decodes it).
 */
export const DEFAULT_TEST_FASCN_HEX = 'd4e739da739ced39ce739d836858210842108421c84210c3eb';
/** Extended key usages a PIV Auth certificate carries: clientAuth, MS smart card logon, PKINIT client. */
export const PIV_AUTH_EKUS: readonly string[] = ['1.3.6.1.5.5.7.3.2', '1.3.6.1.4.1.311.20.2.2', '1.3.6.1.5.2.3.4'];

/** A certification authority of the test PKI, private key included. */
export interface TestCertificateAuthority {
  readonly certificate: x509.X509Certificate;
  readonly der: Uint8Array;
  /** Extractable key pair: sign CRLs (`x509.X509CrlGenerator`) and OCSP responses with `keys.privateKey`. */
  readonly keys: CryptoKeyPair;
  readonly privateKeyPkcs8: Uint8Array;
  /** The WebCrypto algorithm to pass as `signingAlgorithm` when signing with this CA's key. */
  readonly signingAlgorithm: Algorithm | EcdsaParams;
  readonly keyAlgorithm: CardKeyAlgorithm;
}

export interface IssueCardCertificateOptions {
  readonly keyAlgorithm: CardKeyAlgorithm;
  readonly commonName: string;
  /** Cardholder UUID (RFC 4122 text); random when absent. Goes into the SAN as urn:uuid:… */
  readonly uuid?: string;
  /** 25-byte FASC-N, hex or bytes; DEFAULT_TEST_FASCN_HEX when absent. */
  readonly fascn?: string | Uint8Array;
  /** The cardholder's mail address, as an rfc822Name in the SAN (what the issuer's notices are sent to). */
  readonly email?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Certificate policy OIDs; default [PIV_AUTH_POLICY_OID]. */
  readonly policies?: readonly string[];
  /** Signing CA; default the PKI's intermediate. */
  readonly issuer?: TestCertificateAuthority;
  /** When given, a CRL distribution point with this URL. */
  readonly crlUrl?: string;
  /** When given, an AIA OCSP access description with this URL. */
  readonly ocspUrl?: string;
  /** Reuse an existing key pair (must match keyAlgorithm); a fresh extractable pair otherwise. */
  readonly keys?: CryptoKeyPair;
  /** Hex serial number; random when absent. */
  readonly serialNumber?: string;
}

export interface IssuedCardCertificate {
  readonly certificate: x509.X509Certificate;
  readonly der: Uint8Array;
  /** Extractable key pair of the card's PIV Authentication key. */
  readonly keys: CryptoKeyPair;
  readonly privateKeyPkcs8: Uint8Array;
  readonly keyAlgorithm: CardKeyAlgorithm;
  readonly uuid: string;
  readonly fascn: Uint8Array;
}

export interface CreateCertificateAuthorityOptions {
  readonly commonName: string;
  /** Default 'P-256' (fast to generate; RSA-2048 is available). */
  readonly keyAlgorithm?: CardKeyAlgorithm;
  /** Parent CA; self-signed root when absent. */
  readonly issuer?: TestCertificateAuthority;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** basicConstraints pathLenConstraint; none when absent. */
  readonly pathLength?: number;
  /** certificatePolicies of a CA certificate; default TEST_CA_POLICY_OIDS. Empty: no certificatePolicies extension. */
  readonly policies?: readonly string[];
}

export interface TestPki {
  readonly root: TestCertificateAuthority;
  readonly intermediate: TestCertificateAuthority;
  issueCardCertificate(options: IssueCardCertificateOptions): Promise<IssuedCardCertificate>;
}

export interface CreateTestPkiOptions {
  /** Key algorithm of both CAs; default 'P-256'. */
  readonly caKeyAlgorithm?: CardKeyAlgorithm;
  readonly rootCommonName?: string;
  readonly intermediateCommonName?: string;
}

const ORGANISATION = 'O=Derived Credential Kiosk Test, C=US';

/**
 * The policies the test CAs assert, as a Federal PKI Common Policy CA asserts its own (id-fpki-common-hardware,
 * -authentication, id-fpki-common-piv-contentSigning): RFC 5280 §6.1 policy processing, which PKI-AUTH does,
 * finds no valid policy under a CA certificate without certificatePolicies.
 */
export const TEST_CA_POLICY_OIDS: readonly string[] = [
  '2.16.840.1.101.3.2.1.3.7',
  PIV_AUTH_POLICY_OID,
  '2.16.840.1.101.3.2.1.3.39',
];
const DAY_MS = 24 * 60 * 60 * 1000;

/** One call: a root, an intermediate under it, and a card-certificate issuer bound to the intermediate. */
export async function createTestPki(options: CreateTestPkiOptions = {}): Promise<TestPki> {
  const caKeyAlgorithm = options.caKeyAlgorithm ?? 'P-256';
  const root = await createCertificateAuthority({
    commonName: options.rootCommonName ?? 'Test PIV Root CA',
    keyAlgorithm: caKeyAlgorithm,
  });
  const intermediate = await createCertificateAuthority({
    commonName: options.intermediateCommonName ?? 'Test PIV Issuing CA',
    keyAlgorithm: caKeyAlgorithm,
    issuer: root,
    pathLength: 0,
  });
  return {
    root,
    intermediate,
    issueCardCertificate: (cardOptions) =>
      issueCardCertificate({ ...cardOptions, issuer: cardOptions.issuer ?? intermediate }),
  };
}

export async function createCertificateAuthority(
  options: CreateCertificateAuthorityOptions,
): Promise<TestCertificateAuthority> {
  const keyAlgorithm = options.keyAlgorithm ?? 'P-256';
  const keys = await generateKeyPair(keyAlgorithm);
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - DAY_MS);
  const notAfter = options.notAfter ?? new Date(now + 10 * 365 * DAY_MS);
  const subject = `CN=${options.commonName}, ${ORGANISATION}`;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, options.pathLength, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  const policies = options.policies ?? TEST_CA_POLICY_OIDS;
  if (policies.length > 0) extensions.push(new x509.CertificatePolicyExtension([...policies], false));
  const issuer = options.issuer;
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey, false, crypto));
  const certificate = await signCertificate({
    subject,
    keys,
    notBefore,
    notAfter,
    extensions,
    // A root signs itself with its own key.
    signer: issuer ? caSigner(issuer) : { subject, keys, signingAlgorithm: signingAlgorithmFor(keyAlgorithm) },
  });
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    privateKeyPkcs8: await exportPkcs8(keys.privateKey),
    signingAlgorithm: signingAlgorithmFor(keyAlgorithm),
    keyAlgorithm,
  };
}

/** Issues a PIV Authentication certificate. `issuer` is required here; TestPki.issueCardCertificate defaults it. */
export async function issueCardCertificate(
  options: IssueCardCertificateOptions & { readonly issuer: TestCertificateAuthority },
): Promise<IssuedCardCertificate> {
  const uuid = (options.uuid ?? randomUUID()).toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) {
    throw new Error('test-pki: uuid must be RFC 4122 text (8-4-4-4-12 hex digits)');
  }
  const fascn = normaliseFascn(options.fascn ?? DEFAULT_TEST_FASCN_HEX);
  const keys = options.keys ?? (await generateKeyPair(options.keyAlgorithm));
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - DAY_MS);
  const notAfter = options.notAfter ?? new Date(now + 3 * 365 * DAY_MS);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([...PIV_AUTH_EKUS], false),
    new x509.CertificatePolicyExtension([...(options.policies ?? [PIV_AUTH_POLICY_OID])], false),
    pivSubjectAltName(fascn, uuid, options.email),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey, false, crypto),
  ];
  if (options.crlUrl !== undefined) extensions.push(new x509.CRLDistributionPointsExtension([options.crlUrl]));
  if (options.ocspUrl !== undefined) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: options.ocspUrl }));
  const certificate = await signCertificate({
    subject: `CN=${options.commonName}, OU=Test Agency, ${ORGANISATION}`,
    keys,
    notBefore,
    notAfter,
    extensions,
    signer: caSigner(options.issuer),
    ...(options.serialNumber === undefined ? {} : { serialNumber: options.serialNumber }),
  });
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    privateKeyPkcs8: await exportPkcs8(keys.privateKey),
    keyAlgorithm: options.keyAlgorithm,
    uuid,
    fascn,
  };
}

/** OIDs of PIV content signing (the CHUID / security object signer): policy and EKU. */
export const PIV_CONTENT_SIGNING_POLICY_OID = '2.16.840.1.101.3.2.1.3.39';
export const PIV_CONTENT_SIGNING_EKU_OID = '2.16.840.1.101.3.6.7';

/** Issues a P-256 PIV content signing certificate (signs CHUIDs); no SAN, EKU id-PIV-content-signing. */
export async function issueContentSigningCertificate(
  issuer: TestCertificateAuthority,
  commonName = 'Test PIV Content Signer',
): Promise<IssuedCardCertificate> {
  const keys = await generateKeyPair('P-256');
  const now = Date.now();
  const certificate = await signCertificate({
    subject: `CN=${commonName}, ${ORGANISATION}`,
    keys,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 6 * 365 * DAY_MS),
    signer: caSigner(issuer),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([PIV_CONTENT_SIGNING_EKU_OID], false),
      new x509.CertificatePolicyExtension([PIV_CONTENT_SIGNING_POLICY_OID], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey, false, crypto),
    ],
  });
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    privateKeyPkcs8: await exportPkcs8(keys.privateKey),
    keyAlgorithm: 'P-256',
    uuid: '',
    fascn: new Uint8Array(0),
  };
}

/** Who signs a certificate: its subject name (the new certificate's issuer), key pair and algorithm. */
interface CertificateSigner {
  readonly subject: string;
  readonly keys: CryptoKeyPair;
  readonly signingAlgorithm: Algorithm | EcdsaParams;
}

function caSigner(ca: TestCertificateAuthority): CertificateSigner {
  return { subject: ca.certificate.subject, keys: ca.keys, signingAlgorithm: ca.signingAlgorithm };
}

/** The one place this PKI asks @peculiar/x509 to sign a certificate. */
function signCertificate(request: {
  readonly subject: string;
  readonly keys: CryptoKeyPair;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: x509.Extension[];
  readonly signer: CertificateSigner;
  readonly serialNumber?: string;
}): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: request.serialNumber ?? randomSerial(),
      subject: request.subject,
      issuer: request.signer.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      publicKey: request.keys.publicKey,
      signingKey: request.signer.keys.privateKey,
      signingAlgorithm: request.signer.signingAlgorithm,
      extensions: request.extensions,
    },
    crypto,
  );
}

/** A fresh extractable key pair usable for signing (RSASSA-PKCS1-v1_5/SHA-256 or ECDSA). */
export async function generateKeyPair(keyAlgorithm: CardKeyAlgorithm): Promise<CryptoKeyPair> {
  const algorithm: RsaHashedKeyGenParams | EcKeyGenParams =
    keyAlgorithm === 'RSA-2048'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: keyAlgorithm };
  return crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

function signingAlgorithmFor(keyAlgorithm: CardKeyAlgorithm): Algorithm | EcdsaParams {
  switch (keyAlgorithm) {
    case 'RSA-2048':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'P-256':
      return { name: 'ECDSA', hash: 'SHA-256' };
    case 'P-384':
      return { name: 'ECDSA', hash: 'SHA-384' };
  }
}

/** SAN = { otherName pivFASC-N (OCTET STRING), URI urn:uuid:… } as FIPS 201 lays it out. */
function pivSubjectAltName(fascn: Uint8Array, uuid: string, email: string | undefined): x509.Extension {
  const san = new SubjectAlternativeName([
    new AsnGeneralName({
      otherName: new OtherName({
        typeId: PIV_FASCN_OTHERNAME_OID,
        value: AsnConvert.serialize(new OctetString(fascn)),
      }),
    }),
    new AsnGeneralName({ uniformResourceIdentifier: `urn:uuid:${uuid}` }),
    ...(email === undefined ? [] : [new AsnGeneralName({ rfc822Name: email })]),
  ]);
  return new x509.Extension(id_ce_subjectAltName, false, AsnConvert.serialize(san));
}

function normaliseFascn(fascn: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof fascn === 'string') {
    if (!/^([0-9a-fA-F]{2})+$/.test(fascn)) throw new Error('test-pki: fascn must be hex');
    bytes = Uint8Array.from(Buffer.from(fascn, 'hex'));
  } else {
    bytes = Uint8Array.from(fascn);
  }
  if (bytes.length !== 25) throw new Error('test-pki: a FASC-N is 25 bytes');
  return bytes;
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01; // positive, no leading zero byte
  return Buffer.from(bytes).toString('hex');
}

async function exportPkcs8(privateKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('pkcs8', privateKey));
}
