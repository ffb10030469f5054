// Who a notice goes to: the address in the card's PIV Authentication certificate (SAN rfc822Name), else the
// directory's entry for the card's UUID or FASC-N. Never an address someone typed (issue 10 §5): a notice about a
// credential must reach the cardholder, not whoever enrolled the phone. The card's signature certificate is not
// kept by the issuer (the kiosk sends only the PIV Authentication certificate), so it is not looked at.
import { readCertificateFields } from '../pki-auth/certificate-fields.ts';
import type { CardRecord } from '../storage/issuer-storage.ts';
import type { DirectoryLookup } from './directory-lookup.ts';
import { checkedEmailAddress } from './email-address.ts';
import type { NotificationLanguage } from './notification-config.ts';

export type Recipient =
  | { found: true; address: string; language: NotificationLanguage | null; source: 'card-certificate' | 'directory' }
  | { found: false; code: string; retry: boolean };

/** The first well-formed rfc822Name of the certificate's subjectAltName, or null (also for a certificate we cannot read). */
export function emailFromCertificate(certificateDer: Uint8Array): string | null {
  let names;
  try {
    names = readCertificateFields(certificateDer).extensions.subjectAltName?.all ?? [];
  } catch {
    return null;
  }
  for (const name of names) {
    if (name.kind !== 'rfc822Name') continue;
    const address = checkedEmailAddress(name.text);
    if (address !== null) return address;
  }
  return null;
}

/** The card's address as agents look it up (storage keeps it beside the card): lower case, or null. */
export function searchableCardEmail(certificateDer: Uint8Array): string | null {
  return emailFromCertificate(certificateDer)?.toLowerCase() ?? null;
}

export async function findRecipient(card: CardRecord, directory: DirectoryLookup | null): Promise<Recipient> {
  const fromCard = emailFromCertificate(card.certificateDer);
  if (fromCard !== null) {
    // The language is not in the certificate; the directory may still know it, but a notice is not held up for it.
    return { found: true, address: fromCard, language: null, source: 'card-certificate' };
  }
  if (directory === null) return { found: false, code: 'no-address', retry: false };
  const answer = await directory.find({ uuid: card.uuid, fascnHex: card.fascnHex });
  if (!answer.found) return { found: false, code: answer.code, retry: answer.retry };
  return { found: true, address: answer.address, language: answer.language, source: 'directory' };
}
