// Distinguished names as text, exactly as @peculiar/x509 writes them (RFC 4514 style, "CN=…, O=…, C=US"): stored
// card records and messages keep the format they always had. Made from a Name's DER only when text is needed
// (messages, and the card record on success), since @peculiar/x509 takes ~70 µs per name.
import 'reflect-metadata';
import { Name } from '@peculiar/x509';
import { DerReader, TAG, contentOf, elementsOf, readElementAt, readOid, type DerElement } from '../der/strict-der.ts';

const COMMON_NAME = '2.5.4.3';

export function nameText(nameDer: Uint8Array): string {
  return new Name(nameDer.slice()).toString();
}

/**
 * The first commonName of a Name, as @peculiar/x509's `getField('CN')[0]` gives it. The usual case (a UTF8String or
 * PrintableString of printable ASCII) is read directly; anything else goes through @peculiar/x509 itself.
 */
export function firstCommonName(nameDer: Uint8Array): string | undefined {
  const value = firstCommonNameValue(nameDer);
  if (value === undefined) return undefined;
  const isPlainString = value.tag === TAG.UTF8_STRING || value.tag === TAG.PRINTABLE_STRING;
  const content = contentOf(nameDer, value);
  if (isPlainString && content.byteLength > 0 && content.every((byte) => byte >= 0x20 && byte < 0x7f)) {
    return Buffer.from(content).toString('latin1');
  }
  return new Name(nameDer.slice()).getField('CN')[0];
}

/** The value element of the first commonName attribute, in encoding order. The Name was checked at parse time. */
function firstCommonNameValue(nameDer: Uint8Array): DerElement | undefined {
  const name = readElementAt(nameDer, 0, nameDer.byteLength);
  for (const rdn of elementsOf(nameDer, name, 'Name', false)) {
    for (const attribute of elementsOf(nameDer, rdn, 'RelativeDistinguishedName', false)) {
      const fields = new DerReader(nameDer, attribute, 'AttributeTypeAndValue');
      if (readOid(nameDer, fields.next(TAG.OID, 'type')) === COMMON_NAME) return fields.any('value');
    }
  }
  return undefined;
}
