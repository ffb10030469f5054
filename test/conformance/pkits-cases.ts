// The NIST PKITS (2011 edition) cases, as PKI-AUTH sees them. Most come from `pkits/cases-from-certvalidator.json`
// (end entity, intermediates, CRLs, expected verdict under PKITS's default settings); 4.3.1, 4.3.2 and section 4.13
// are not in that list, so their paths are built here from the certificate files (issuer name + signature) and
// their verdict is taken from the PKITS test name ("Valid …" / "Invalid …").
//
// How PKITS's settings are given to PKI-AUTH (documented in issuer/pki-auth/README.md):
// - trust anchor: `TrustAnchorRootCertificate.crt`; its CRL `TrustAnchorRootCRL.crl` is added to every case, since
//   PKI-AUTH demands a revocation answer for every certificate below the anchor (the JSON lists only the CAs' CRLs);
// - initial-policy-set any-policy: the required policies are all NIST test policies (2.16.840.1.101.3.2.1.48.1–.6),
//   so any of them asserted by the path is accepted; a PIV issuer always requires one (see the deviations);
// - the validation time is inside the material's validity (certificates 2010–2030) and after the "old CRL" cases'
//   nextUpdate (2011), so those CRLs are stale as PKITS intends;
// - PKITS end entities carry no FASC-N or UUID, so `identity-missing` after every other check has passed (identity
//   is the last check) counts as "the path is valid".
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Expected } from './verdict-table.ts';

export const PKITS_REQUIRED_POLICIES = [1, 2, 3, 4, 5, 6].map((arc) => `2.16.840.1.101.3.2.1.48.${arc}`);
export const PKITS_VALIDATION_TIME = new Date('2020-06-01T00:00:00Z');
export const PKITS_TRUST_ANCHOR = 'TrustAnchorRootCertificate.crt';
export const PKITS_TRUST_ANCHOR_CRL = 'TrustAnchorRootCRL.crl';

export interface PkitsCase {
  /** PKITS test number, e.g. "4.4.14". */
  readonly id: string;
  readonly ee: string;
  readonly intermediates: readonly string[];
  readonly crls: readonly string[];
  readonly expected: Expected;
  /** Where the case comes from: the JSON list, or a path built here from the files. */
  readonly origin: 'list' | 'built';
}

interface ListedCase {
  readonly id: string;
  readonly ee: string;
  readonly intermediates: string[];
  readonly crls: string[];
  readonly expectValid: boolean;
}

/** "40414_invalid_…" → "4.4.14". */
function pkitsNumber(listedId: string): string {
  const match = /^4(\d\d)(\d\d)_/.exec(listedId);
  if (match === null) throw new Error(`unexpected PKITS case id ${listedId}`);
  return `4.${Number(match[1])}.${Number(match[2])}`;
}

export function loadPkitsCases(pkitsDir: string): PkitsCase[] {
  const listed = JSON.parse(readFileSync(join(pkitsDir, 'cases-from-certvalidator.json'), 'utf8')) as ListedCase[];
  const cases: PkitsCase[] = listed.map((entry) => ({
    id: pkitsNumber(entry.id),
    ee: entry.ee,
    intermediates: entry.intermediates,
    crls: entry.crls,
    expected: entry.expectValid ? 'valid' : 'invalid',
    origin: 'list',
  }));
  cases.push(...builtCases(pkitsDir));
  return cases.sort((a, b) => compareIds(a.id, b.id));
}

function compareIds(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

const BUILT_FILES = /^(Valid|Invalid)\w*?(NameChaining(?:Order)?Test[12]|nameConstraintsTest(\d+))EE\.crt$/;

/** 4.3.1, 4.3.2 and 4.13.x: paths built from the certificate files by issuer name and signature. */
function builtCases(pkitsDir: string): PkitsCase[] {
  const certsDir = join(pkitsDir, 'certs');
  const files = readdirSync(certsDir).filter((name) => name.endsWith('.crt'));
  const certificates = new Map(files.map((name) => [name, new X509Certificate(readFileSync(join(certsDir, name)))]));
  const crls = crlIndex(join(pkitsDir, 'crls'));
  const cases: PkitsCase[] = [];
  for (const file of files) {
    const match = BUILT_FILES.exec(file);
    if (match === null) continue;
    const id = match[3] !== undefined ? `4.13.${match[3]}` : file.includes('Order') ? '4.3.2' : '4.3.1';
    const intermediates = buildPath(file, certificates);
    cases.push({
      id,
      ee: file,
      intermediates,
      crls: intermediates.flatMap((ca) => crls(certificates.get(ca))),
      expected: match[1] === 'Valid' ? 'valid' : 'invalid',
      origin: 'built',
    });
  }
  return cases;
}

/** The intermediates from the end entity up to (not including) the trust anchor, by issuer name, else by signature. */
function buildPath(eeFile: string, certificates: ReadonlyMap<string, X509Certificate>): string[] {
  const path: string[] = [];
  let current = certificates.get(eeFile);
  const anchor = certificates.get(PKITS_TRUST_ANCHOR);
  if (current === undefined || anchor === undefined)
    throw new Error(`PKITS material lacks ${eeFile} or the trust anchor`);
  while (path.length < 8) {
    const subject: X509Certificate = current;
    if (signedBy(subject, anchor)) return path;
    const candidates = [...certificates].filter(
      ([name, ca]) => name !== eeFile && !path.includes(name) && ca.ca && signedBy(subject, ca),
    );
    const byName = candidates.find(([, ca]) => subject.checkIssued(ca)) ?? candidates[0];
    if (byName === undefined) throw new Error(`no PKITS certificate signed ${eeFile}'s path at depth ${path.length}`);
    path.push(byName[0]);
    current = byName[1];
  }
  throw new Error(`PKITS path for ${eeFile} is longer than 8`);
}

/** OpenSSL throws when the key type cannot verify the signature (a DSA CA under an RSA signature): not its issuer. */
function signedBy(subject: X509Certificate, ca: X509Certificate): boolean {
  try {
    return subject.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** The CRL files issued under a CA certificate's subject name. */
function crlIndex(crlsDir: string): (ca: X509Certificate | undefined) => string[] {
  const issuers = readdirSync(crlsDir).map((name) => {
    const der = readFileSync(join(crlsDir, name));
    const crl = new pkijs.CertificateRevocationList({ schema: asn1js.fromBER(new Uint8Array(der)).result });
    return { name, issuer: crl.issuer };
  });
  return (ca) => {
    if (ca === undefined) return [];
    const subject = new pkijs.Certificate({ schema: asn1js.fromBER(new Uint8Array(ca.raw)).result }).subject;
    return issuers.filter((entry) => entry.issuer.isEqual(subject)).map((entry) => entry.name);
  };
}
