// GSA's ICAM test cards (the FIPS 201 PIV / PIV-I test card set) as PKI-AUTH sees them: each card's PIV
// Authentication certificate with its published private key, GSA's test PKI, and GSA's path-validation "fault
// bridge" (one trust anchor per fault, cross-certified to the ICAM Test Card Bridge CA).
//
// How the material is given to PKI-AUTH (documented in issuer/pki-auth/README.md):
// - cards: trust anchors the ICAM Test Card Root CA and PIV-I Root CA; intermediates every CA certificate of
//   `ca/`; CRLs every file of `crls/` (an administrator configures what the PKI publishes; PKI-AUTH picks what covers);
// - fault bridge: the one faulty root is the only anchor; intermediates add the bridge's cross-certificates
//   (`bridge/NN_…` faulty root → Bridge CA, `bridge/99_…` Bridge CA → ICAM Test Card Root CA); the card is card 01;
// - required policies, in the trust anchor's policy domain: 2.16.840.1.101.3.2.1.48.11 (test id-fpki-common-
//   authentication) and 2.16.840.1.101.3.2.1.48.78 (the test PIV-I hardware policy, which the ICAM signing CAs map
//   to 2.16.840.1.101.3.2.1.48.248);
// - validation time 2026-06-01: inside every CA's validity, after the newest CRLs' thisUpdate (2020-04) and before
//   their nextUpdate (2031–2032). A few cards' own certificates expired before it (noted per card).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Expected } from './verdict-table.ts';

export const ICAM_REQUIRED_POLICIES = ['2.16.840.1.101.3.2.1.48.11', '2.16.840.1.101.3.2.1.48.78'];
export const ICAM_VALIDATION_TIME = new Date('2026-06-01T00:00:00Z');
export const ICAM_CARD_ANCHORS = ['roots/00_ICAM_Test_Card_Root_CA.der', 'roots/37_ICAM_Test_Card_PIV-I_Root_CA.der'];
const BRIDGE_TO_ROOT = 'bridge/99_ICAM_Test_Card_Bridge_CA_to_ICAM_Test_Card_Root_CA.der';
const FAULT_BRIDGE_CARD = 'cards/01_Golden_PIV';
/** The card object as loaded onto the card (the other `3-*` files of a folder are the builder's sources). */
export const PIV_AUTH_CERTIFICATE = '3-ICAM_PIV_Auth_SP_800-73-4.der';
export const PIV_AUTH_KEY = '3-ICAM_PIV_Auth_SP_800-73-4.p12';

export interface IcamCase {
  readonly id: string;
  /** Folder (relative to icam/) holding the card's PIV Authentication certificate and key. */
  readonly cardDir: string;
  readonly anchors: readonly string[];
  /** Relative to icam/. */
  readonly intermediates: readonly string[];
  readonly expected: Expected;
  /** Why this verdict, when the card's name does not say it. */
  readonly why: string;
}

const EXPIRED_BEFORE_VALIDATION_TIME = "the card's PIV Authentication certificate expired before the validation time";
/** Cards whose PIV Authentication certificate must be refused, and why. Every other card is valid for PKI-AUTH. */
const INVALID_CARDS: Readonly<Record<string, string>> = {
  '05_Tampered_Certificates': 'the certificate was altered after signing',
  '10_Expired_Cert_Signer': 'issued by an expired CA',
  '12_Certs_not_yet_valid': 'notBefore 2030',
  '13_Certs_are_expired': 'notAfter 2014',
  '23_Public_Private_Key_mismatch': "the card's key does not match its certificate",
  '24_Revoked_Certificates':
    'revoked per GSA; in this material its AKID names a Signing CA certificate (serial …3CE2) that is not included and its serial is on none of the CRLs, so it is refused as untrusted',
  '39_Golden_FIPS_201-2_Fed_PIV-I-X': EXPIRED_BEFORE_VALIDATION_TIME,
  '47_Golden_FIPS_201-2_PIV_SAN_Order-X': EXPIRED_BEFORE_VALIDATION_TIME,
  '54_Golden_FIPS_201-2_NFI_PIV-I-X': EXPIRED_BEFORE_VALIDATION_TIME,
  '56_FIPS_201-2_Signer_Expires': EXPIRED_BEFORE_VALIDATION_TIME,
};

/**
 * Faults the fault bridge names "Valid", the 4096-bit root (a key size path validation must accept), and 10,
 * "keyUsage Not Critical" on the cross-certificate: RFC 5280 §4.2.1.3 only says a CA SHOULD mark keyUsage critical,
 * and relying parties accept it (PKITS 4.7.3 "Valid keyUsage Not Critical", `openssl verify -policy_check`).
 */
const VALID_FAULT_ROOTS = new Set(['10', '22', '24', '35']);
/**
 * Faults a PIV issuer answers differently on purpose (issuer/pki-auth/README.md lists each). 21: the cross-certificate
 * names no CRL distribution point, so a relying party that fetches CRLs by DP finds none; PKI-AUTH reads only the
 * CRLs its administrator configured, and the faulty root's complete CRL is configured and current.
 */
const FAULT_DEVIATIONS: Readonly<Record<string, string>> = {
  '21': "PKI-AUTH takes CRLs from its configuration, not from the certificate's distribution points: the configured complete CRL of the issuing root answers",
};

export function loadIcamCases(icamDir: string): IcamCase[] {
  const cas = readdirSync(join(icamDir, 'ca'))
    .filter((name) => name.endsWith('.der'))
    .map((name) => `ca/${name}`);
  const cards = readdirSync(join(icamDir, 'cards'))
    .filter((name) => existsSync(join(icamDir, 'cards', name, PIV_AUTH_CERTIFICATE)))
    .sort();
  const cases: IcamCase[] = cards.map((card) => {
    const invalid = INVALID_CARDS[card];
    return {
      id: `card ${card}`,
      cardDir: `cards/${card}`,
      anchors: ICAM_CARD_ANCHORS,
      intermediates: cas,
      expected: invalid === undefined ? 'valid' : 'invalid',
      why: invalid ?? '',
    };
  });
  const bridges = readdirSync(join(icamDir, 'bridge')).filter((name) => /^\d\d_/.test(name) && !name.startsWith('99_'));
  for (const root of readdirSync(join(icamDir, 'roots'))
    .filter((name) => /^\d\d_/.test(name))
    .sort()) {
    const number = root.slice(0, 2);
    const crossCertificate = bridges.find((name) => name.startsWith(`${number}_`));
    if (crossCertificate === undefined) continue; // 00 and 37 are the cards' own anchors, not faults
    cases.push({
      id: `fault ${root.replace(/\.der$/, '')}`,
      cardDir: FAULT_BRIDGE_CARD,
      anchors: [`roots/${root}`],
      intermediates: [...cas, BRIDGE_TO_ROOT, `bridge/${crossCertificate}`],
      expected: VALID_FAULT_ROOTS.has(number) || FAULT_DEVIATIONS[number] !== undefined ? 'valid' : 'invalid',
      why: FAULT_DEVIATIONS[number] === undefined ? '' : `deviation: GSA says invalid; ${FAULT_DEVIATIONS[number]}`,
    });
  }
  return cases;
}
