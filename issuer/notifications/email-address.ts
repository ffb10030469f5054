// The one rule for a mail address this issuer will write into a To or From header. Addresses come from card
// certificates and directory answers (hostile input): anything but a plain dot-atom addr-spec (RFC 5322 §3.4.1,
// no quoted local part, no comments, no display name, no line breaks) is refused, so no header can be injected.

/** RFC 5321 §4.5.3.1: 64 octets of local part, 254 of address (a path of 256 less its angle brackets). */
export const MAX_EMAIL_ADDRESS_LENGTH = 254;
const MAX_LOCAL_PART_LENGTH = 64;
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATOM}(\\.${ATOM})*$`);
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The address when it is one this issuer sends to, else null. */
export function checkedEmailAddress(value: string): string | null {
  if (value.length === 0 || value.length > MAX_EMAIL_ADDRESS_LENGTH) return null;
  const at = value.lastIndexOf('@');
  if (at <= 0 || at > MAX_LOCAL_PART_LENGTH) return null;
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  if (!LOCAL_PART.test(local) || labels.length < 2) return null;
  return labels.every((label) => DOMAIN_LABEL.test(label)) ? value : null;
}

/** The domain of a checked address (for Message-ID and the audit: the mailbox itself is personal data). */
export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
