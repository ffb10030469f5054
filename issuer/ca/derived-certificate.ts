// The derived PIV Authentication certificate (SP 800-157 §3.2, FPKI common policy): policy
// id-fpki-common-derived-pivAuth, EKU clientAuth, keyUsage digitalSignature (critical), SAN urn:uuid of the
// cardholder, and a lifetime that never passes the card's own PIV Authentication certificate.
import { buildCertificate, keyIdentifier, newSerialNumber } from './certificate-builder.ts';
import { OID, distinguishedName } from './der.ts';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoint,
  extendedKeyUsage,
  keyUsage,
  ocspAccess,
  subjectAltName,
  subjectKeyIdentifier,
} from './extensions.ts';
import type { IssuingCa } from './issuing-ca.ts';

export const ID_FPKI_COMMON_DERIVED_PIV_AUTH = '2.16.840.1.101.3.2.1.3.40';
const ID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

export interface DerivedCertificateRequest {
  subjectPublicKeySpkiDer: Uint8Array;
  cardholderCommonName: string;
  cardholderUuid: string;
  cardCertificateNotAfter: Date;
  lifetimeDays: number;
  now: Date;
  /** Where relying parties find its revocation: the CRL distribution point and the OCSP responder (AIA). */
  revocationUrls: { crl: string; ocsp: string };
}

export interface IssuedCertificate {
  certificateDer: Uint8Array;
  serialNumberHex: string;
  notBefore: Date;
  notAfter: Date;
}

export function derivedNotAfter(now: Date, lifetimeDays: number, cardNotAfter: Date): Date {
  return new Date(Math.min(now.getTime() + lifetimeDays * DAY_MS, cardNotAfter.getTime()));
}

/** The extensions every derived certificate of one CA shares, encoded once. */
const sharedExtensions = new WeakMap<IssuingCa, Uint8Array[]>();

function extensionsOf(ca: IssuingCa): Uint8Array[] {
  let shared = sharedExtensions.get(ca);
  if (shared === undefined) {
    shared = [
      basicConstraints(false),
      keyUsage(['digitalSignature']),
      extendedKeyUsage([ID_KP_CLIENT_AUTH]),
      certificatePolicies([ID_FPKI_COMMON_DERIVED_PIV_AUTH]),
      authorityKeyIdentifier(ca.keyIdentifier),
    ];
    sharedExtensions.set(ca, shared);
  }
  return shared;
}

export async function issueDerivedCertificate(
  ca: IssuingCa,
  request: DerivedCertificateRequest,
): Promise<IssuedCertificate> {
  const serialNumber = newSerialNumber();
  // A minute of back-dating absorbs clock skew between the issuer and relying parties.
  const notBefore = new Date(request.now.getTime() - 60_000);
  const notAfter = derivedNotAfter(request.now, request.lifetimeDays, request.cardCertificateNotAfter);
  // Callers refuse an expired card first (issuer/card-status.ts); this guard makes an inverted validity impossible.
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new Error(
      `derived certificate: notAfter ${notAfter.toISOString()} is not after notBefore ${notBefore.toISOString()}`,
    );
  }
  const certificateDer = await buildCertificate(
    {
      serialNumber,
      issuerNameDer: ca.subjectNameDer,
      subjectNameDer: distinguishedName([[OID.commonName, request.cardholderCommonName]]),
      notBefore,
      notAfter,
      subjectPublicKeySpkiDer: request.subjectPublicKeySpkiDer,
      extensions: [
        ...extensionsOf(ca),
        subjectAltName([{ uri: `urn:uuid:${request.cardholderUuid}` }]),
        subjectKeyIdentifier(keyIdentifier(request.subjectPublicKeySpkiDer)),
        crlDistributionPoint(request.revocationUrls.crl),
        ocspAccess(request.revocationUrls.ocsp),
      ],
    },
    ca.signer,
  );
  return { certificateDer, serialNumberHex: Buffer.from(serialNumber).toString('hex'), notBefore, notAfter };
}
