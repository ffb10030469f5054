// RFC 5280 name constraints (issuer/pki-auth/name-constraints.ts): each CA's constraints are a layer, a name must be
// inside the permitted subtrees of every layer that constrains its form (the intersection pkijs 4 got wrong: it
// concatenated them, PKITS 4.13.3) and outside every excluded subtree. Names are built with @peculiar/x509, which
// writes RDNs in the order of the string (so "C=US, O=A" is the parent of "C=US, O=A, CN=x").
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { checkNameConstraints } from '../../../issuer/pki-auth/name-constraints.ts';
import type { GeneralName, NameConstraints } from '../../../issuer/pki-auth/certificate-extensions.ts';

const dn = (text: string): Uint8Array => new Uint8Array(new x509.Name(text).toArrayBuffer());
const directory = (text: string): GeneralName => ({ kind: 'directoryName', name: dn(text) });
const email = (text: string): GeneralName => ({ kind: 'rfc822Name', text });
const dns = (text: string): GeneralName => ({ kind: 'dNSName', text });
const uri = (text: string): GeneralName => ({ kind: 'uniformResourceIdentifier', text });
const ip = (...octets: number[]): GeneralName => ({ kind: 'iPAddress', octets: new Uint8Array(octets) });
const permit = (...names: GeneralName[]): NameConstraints => ({ permitted: names, excluded: [] });
const exclude = (...names: GeneralName[]): NameConstraints => ({ permitted: null, excluded: names });

const check = (subject: string, sans: GeneralName[], layers: NameConstraints[]) =>
  checkNameConstraints({ subjectName: dn(subject), subjectAltNames: sans }, layers).ok;

describe('directoryName', () => {
  it('a subject below the permitted subtree passes; one beside it does not', () => {
    expect(check('C=US, O=Agency A, CN=Pat', [], [permit(directory('C=US, O=Agency A'))])).toBe(true);
    expect(check('C=US, O=Agency B, CN=Pat', [], [permit(directory('C=US, O=Agency A'))])).toBe(false);
  });

  it("successive CAs' permitted subtrees are intersected, not concatenated (PKITS 4.13.3, defect 2)", () => {
    const layers = [permit(directory('C=US, O=Agency A')), permit(directory('C=US, O=Agency A, OU=Unit 1'))];
    expect(check('C=US, O=Agency A, OU=Unit 1, CN=Pat', [], layers)).toBe(true);
    expect(check('C=US, O=Agency A, OU=Unit 2, CN=Pat', [], layers)).toBe(false);
  });

  it('an excluded subtree wins over a permitted one, from any layer', () => {
    const layers = [permit(directory('C=US, O=Agency A')), exclude(directory('C=US, O=Agency A, OU=Contractors'))];
    expect(check('C=US, O=Agency A, OU=Contractors, CN=Pat', [], layers)).toBe(false);
    expect(check('C=US, O=Agency A, OU=Staff, CN=Pat', [], layers)).toBe(true);
  });

  it('a directoryName in the subjectAltName is constrained too (PKITS 4.13.12, 4.13.13)', () => {
    const layers = [permit(directory('C=US, O=Agency A'))];
    expect(check('C=US, O=Agency A, CN=Pat', [directory('C=US, O=Agency B, CN=Pat')], layers)).toBe(false);
  });

  it('compares directory strings case-insensitively with inner spaces collapsed (RFC 5280 §7.1)', () => {
    expect(check('C=US, O=agency  a, CN=Pat', [], [permit(directory('C=US, O=Agency A'))])).toBe(true);
  });

  it('an empty subject is not a directoryName to constrain', () => {
    expect(
      checkNameConstraints({ subjectName: new Uint8Array([0x30, 0x00]), subjectAltNames: [] }, [
        permit(directory('C=US, O=Agency A')),
      ]).ok,
    ).toBe(true);
  });
});

describe("rfc822Name, including the subject's emailAddress attribute", () => {
  const layers = [permit(email('agency.gov'))];
  it('a mailbox at the permitted host passes, one elsewhere does not', () => {
    expect(check('C=US, CN=Pat', [email('pat@agency.gov')], layers)).toBe(true);
    expect(check('C=US, CN=Pat', [email('pat@elsewhere.com')], layers)).toBe(false);
  });

  it('".domain" permits mailboxes at hosts inside the domain only; a full mailbox permits only itself', () => {
    expect(check('C=US, CN=Pat', [email('pat@mail.agency.gov')], [permit(email('.agency.gov'))])).toBe(true);
    expect(check('C=US, CN=Pat', [email('pat@agency.gov')], [permit(email('.agency.gov'))])).toBe(false);
    expect(check('C=US, CN=Pat', [email('sam@agency.gov')], [permit(email('pat@agency.gov'))])).toBe(false);
  });

  it('an emailAddress in the subject DN is checked as an rfc822Name', () => {
    expect(check('C=US, CN=Pat, E=pat@elsewhere.com', [], layers)).toBe(false);
    expect(check('C=US, CN=Pat, E=pat@agency.gov', [], layers)).toBe(true);
  });
});

describe('dNSName, URI, iPAddress', () => {
  it('dNSName: whole labels only', () => {
    const layers = [permit(dns('agency.gov'))];
    expect(check('C=US', [dns('host.agency.gov')], layers)).toBe(true);
    expect(check('C=US', [dns('agency.gov')], layers)).toBe(true);
    expect(check('C=US', [dns('badagency.gov')], layers)).toBe(false);
  });

  it('URI: the host is constrained; a URI without a host (urn:uuid) is refused under URI constraints', () => {
    expect(check('C=US', [uri('https://pki.agency.gov/crl')], [permit(uri('.agency.gov'))])).toBe(true);
    expect(check('C=US', [uri('https://pki.other.gov/crl')], [permit(uri('.agency.gov'))])).toBe(false);
    expect(check('C=US', [uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd')], [exclude(uri('.agency.gov'))])).toBe(
      false,
    );
    expect(check('C=US', [uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd')], [permit(dns('agency.gov'))])).toBe(
      true,
    );
  });

  it('iPAddress: address and mask', () => {
    const layers = [permit(ip(10, 1, 0, 0, 255, 255, 0, 0))];
    expect(check('C=US', [ip(10, 1, 2, 3)], layers)).toBe(true);
    expect(check('C=US', [ip(10, 2, 2, 3)], layers)).toBe(false);
  });
});

describe('name forms not processed', () => {
  it('a constraint on otherName refuses a certificate carrying an otherName, and only such a certificate', () => {
    const layers = [permit({ kind: 'otherName', typeId: '2.16.840.1.101.3.6.6' })];
    expect(check('C=US', [{ kind: 'otherName', typeId: '2.16.840.1.101.3.6.6' }], layers)).toBe(false);
    expect(check('C=US', [dns('agency.gov')], layers)).toBe(true);
  });
});
