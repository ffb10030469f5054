// RFC 5280 name constraints (§4.2.1.10; processing §6.1.3 (b), (c) and §6.1.4 (g)). Each CA's nameConstraints is
// kept as one layer: a name must lie inside the permitted subtrees of *every* layer that constrains its name form
// (which is exactly the intersection §6.1.4 (g) asks for, without computing intersections of subtrees) and outside
// every excluded subtree of every layer (their union). Names checked: the subject DN (directoryName), emailAddress
// attributes of the subject (rfc822Name, as §4.2.1.10 requires), and every subjectAltName. A constraint of a form
// not processed here (otherName, x400Address, ediPartyName, registeredID) refuses a certificate that carries a
// name of that form, as §4.2.1.10 demands ("MUST either process the constraint or reject the certificate").
import type { GeneralName, NameConstraints } from './certificate-extensions.ts';
import { DerReader, TAG, contentOf, elementsOf, encodedOf, readElementAt, readOid } from '../der/strict-der.ts';

const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

/** The names of one certificate that name constraints apply to. */
export interface ConstrainedNames {
  readonly subjectName: Uint8Array;
  readonly subjectAltNames: readonly GeneralName[];
}

export type NameConstraintResult = { ok: true } | { ok: false; message: string };

/** `layers`: the nameConstraints of the CA certificates above this certificate, nearest the anchor first. */
export function checkNameConstraints(
  names: ConstrainedNames,
  layers: readonly NameConstraints[],
): NameConstraintResult {
  if (layers.length === 0) return { ok: true };
  const subject = readName(names.subjectName);
  const candidates: GeneralName[] = [...names.subjectAltNames];
  if (subject.length > 0) candidates.push({ kind: 'directoryName', name: names.subjectName });
  for (const email of emailAddresses(subject)) candidates.push({ kind: 'rfc822Name', text: email });
  for (const name of candidates) {
    for (const layer of layers) {
      const problem = layerProblem(name, layer);
      if (problem !== null) return { ok: false, message: problem };
    }
  }
  return { ok: true };
}

function layerProblem(name: GeneralName, layer: NameConstraints): string | null {
  const sameForm = (subtree: GeneralName): boolean => subtree.kind === name.kind;
  const excluded = layer.excluded.filter(sameForm);
  const permitted = layer.permitted?.filter(sameForm) ?? [];
  if (excluded.length === 0 && permitted.length === 0) return null;
  if (!processedForm(name))
    return `a name constraint on ${name.kind} names, which this issuer does not process, applies to a ${name.kind} of the certificate`;
  if (excluded.some((subtree) => within(name, subtree) !== false))
    return `the ${describe(name)} is in an excluded name subtree`;
  if (permitted.length > 0 && !permitted.some((subtree) => within(name, subtree) === true))
    return `the ${describe(name)} is outside the permitted name subtrees`;
  return null;
}

function processedForm(name: GeneralName): boolean {
  return ['directoryName', 'rfc822Name', 'dNSName', 'uniformResourceIdentifier', 'iPAddress'].includes(name.kind);
}

/** True when `name` is inside `subtree`, false when not, null when it cannot be told (refused as excluded). */
function within(name: GeneralName, subtree: GeneralName): boolean | null {
  if (name.kind === 'directoryName' && subtree.kind === 'directoryName')
    return isPrefix(readName(subtree.name), readName(name.name));
  if (name.kind === 'iPAddress' && subtree.kind === 'iPAddress') return ipWithin(name.octets, subtree.octets);
  if (!('text' in name) || !('text' in subtree)) return false;
  switch (name.kind) {
    case 'dNSName':
      return dnsWithin(name.text, subtree.text);
    case 'rfc822Name':
      return emailWithin(name.text, subtree.text);
    case 'uniformResourceIdentifier': {
      const host = uriHost(name.text);
      return host === null ? null : hostWithin(host, subtree.text);
    }
  }
}

/** dNSName: the constraint's labels end the name (RFC 5280 §4.2.1.10: "any name that can be constructed by adding zero or more labels"). */
function dnsWithin(name: string, constraint: string): boolean {
  const host = name.toLowerCase();
  const base = constraint.toLowerCase();
  if (base === '') return true;
  if (base.startsWith('.')) return host.endsWith(base);
  return host === base || host.endsWith(`.${base}`);
}

/** rfc822Name: a mailbox, a host (every mailbox at it) or ".domain" (every mailbox at a host in it). */
function emailWithin(address: string, constraint: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const host = address.slice(at + 1).toLowerCase();
  if (constraint.includes('@')) {
    const constraintAt = constraint.lastIndexOf('@');
    return (
      address.slice(0, at) === constraint.slice(0, constraintAt) &&
      host === constraint.slice(constraintAt + 1).toLowerCase()
    );
  }
  return hostWithin(host, constraint);
}

/** A host against a URI or mail constraint: "host" exactly, or ".domain" for every host inside it. */
function hostWithin(host: string, constraint: string): boolean {
  const lowerHost = host.toLowerCase();
  const base = constraint.toLowerCase();
  return base.startsWith('.') ? lowerHost.endsWith(base) : lowerHost === base;
}

/** The host of a URI with an authority (scheme://[userinfo@]host[:port]/…), or null (a URN has none). */
function uriHost(uri: string): string | null {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  const host = match?.[1];
  return host === undefined || host === '' ? null : host;
}

function ipWithin(address: Uint8Array, subtree: Uint8Array): boolean {
  if (subtree.byteLength !== address.byteLength * 2) return false;
  for (let index = 0; index < address.byteLength; index += 1) {
    const mask = subtree[address.byteLength + index] ?? 0;
    if (((address[index] ?? 0) & mask) !== ((subtree[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** `text`: a directory string's text as written (an emailAddress is matched with it). */
interface Attribute {
  readonly type: string;
  readonly value: string;
  readonly text: string | null;
}
type Rdn = readonly Attribute[];

/**
 * A Name (already checked by the strict reader) as RDNs of (type, comparable value): directory strings compared
 * after RFC 5280 §7.1's steps that matter in practice (case folded, leading/trailing space removed, inner runs of
 * space collapsed), any other value by its exact DER.
 */
function readName(der: Uint8Array): Rdn[] {
  const name = readElementAt(der, 0, der.byteLength);
  return elementsOf(der, name, 'Name', false).map((rdn) =>
    elementsOf(der, rdn, 'RelativeDistinguishedName', true).map((attribute) => {
      const fields = new DerReader(der, attribute, 'AttributeTypeAndValue');
      const type = readOid(der, fields.next(TAG.OID, 'type'));
      const value = fields.any('value');
      const text = directoryText(value.tag, contentOf(der, value));
      return {
        type,
        text,
        value:
          text === null
            ? `#${Buffer.from(encodedOf(der, value)).toString('hex')}`
            : `"${text.trim().replace(/\s+/g, ' ').toLowerCase()}`,
      };
    }),
  );
}

const DIRECTORY_STRINGS: ReadonlyMap<number, 'latin1' | 'utf8' | 'utf16be'> = new Map([
  [TAG.PRINTABLE_STRING, 'latin1'],
  [TAG.UTF8_STRING, 'utf8'],
  [TAG.IA5_STRING, 'latin1'],
  [0x14, 'latin1'],
  [0x1e, 'utf16be'],
]);

function directoryText(tag: number, content: Uint8Array): string | null {
  const encoding = DIRECTORY_STRINGS.get(tag);
  if (encoding === undefined) return null;
  if (encoding !== 'utf16be') return Buffer.from(content).toString(encoding);
  return content.byteLength % 2 === 0 ? Buffer.from(content).swap16().toString('utf16le') : null;
}

function isPrefix(base: readonly Rdn[], name: readonly Rdn[]): boolean {
  if (base.length > name.length) return false;
  return base.every((rdn, index) => sameRdn(rdn, name[index] ?? []));
}

function sameRdn(a: Rdn, b: Rdn): boolean {
  return (
    a.length === b.length &&
    a.every((attribute) => b.some((other) => other.type === attribute.type && other.value === attribute.value))
  );
}

function emailAddresses(subject: readonly Rdn[]): string[] {
  return subject
    .flat()
    .flatMap((attribute) => (attribute.type === EMAIL_ADDRESS && attribute.text !== null ? [attribute.text] : []));
}

function describe(name: GeneralName): string {
  return 'text' in name ? `${name.kind} "${name.text.slice(0, 80)}"` : name.kind;
}
