// The words of every notice, in English and Dutch: what happened, to which credential, what to do. Plain text only
// (an HTML part adds nothing these notices need, and a second rendering to keep in step). A notice names the
// credential by its serial number and dates; it never carries an OTP, PIN, token or key: the facts it is built
// from are the outbox row's, which hold none (NotificationFacts).
import type { NotificationFacts, NotificationKind } from '../storage/issuer-storage.ts';
import type { NotificationLanguage } from './notification-config.ts';

export interface NoticeContext {
  kind: NotificationKind;
  language: NotificationLanguage;
  facts: NotificationFacts;
  /** The issuer's display name and help URL (tenant settings). */
  issuerName: string;
  helpUrl: string | null;
}

export interface Notice {
  subject: string;
  text: string;
}

/** Facts and names are one line each: control characters (line breaks included) and bidi overrides are dropped. */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}
const clean = (value: string): string =>
  Array.from(value)
    .filter((char) => !isUnsafe(char.codePointAt(0) ?? 0))
    .join('')
    .slice(0, 500);

function fact(facts: NotificationFacts, key: string): string {
  const value = facts[key];
  return value === undefined || value === null ? '' : clean(String(value));
}

function longDate(iso: string, language: NotificationLanguage): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(language === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(
    date,
  );
}

type Wording = Record<NotificationKind, (f: (key: string) => string, date: (key: string) => string) => Notice>;

const WORDING: Record<NotificationLanguage, Wording> = {
  en: {
    'credential-issued': (f, date) => ({
      subject: 'A new derived PIV credential was issued to you',
      text:
        `A derived PIV credential was issued in your name on ${date('issuedAt')} for a phone (${f('device')}).\n` +
        `Certificate serial number: ${f('serialNumberHex')}\nValid until: ${date('notAfter')}\n\n` +
        'If you did not enroll a phone, contact your help desk now: someone may have used your card.',
    }),
    'credential-revoked': (f, date) => ({
      subject: 'Your derived PIV credential was revoked',
      text:
        `The derived PIV credential with serial number ${f('serialNumberHex')} was revoked on ${date('revokedAt')}` +
        ` (${f('reason')}). It can no longer be used.\n\nTo get a new one, enroll again at a kiosk with your card.`,
    }),
    'renewal-due': (f, date) => ({
      subject: 'Your derived PIV credential is due for renewal',
      text:
        `The derived PIV credential with serial number ${f('serialNumberHex')} expires on ${date('notAfter')}.\n\n` +
        'Renew it before then: enroll your phone again at a kiosk with your card. The old credential is revoked ' +
        'when the new one is issued.',
    }),
    'issuer-changed': () => ({
      subject: 'Your organisation changed its derived credential issuer',
      text:
        'Your organisation replaced the issuer of derived PIV credentials. Credentials from the previous issuer ' +
        'no longer work.\n\nEnroll your phone again at a kiosk with your card.',
    }),
    'card-revoked': (f, date) => ({
      subject: 'Your PIV card was reported revoked',
      text:
        `On ${date('foundAt')} we found that your PIV card (certificate serial number ${f('cardSerialNumberHex')}) ` +
        "was revoked by its issuer. Under your organisation's policy the derived PIV credentials on your phone " +
        'stay in use for now; they are revoked if your account is ended.\n\nIf you did not expect this (your card ' +
        'is not lost and you are not leaving), contact your help desk now.',
    }),
  },
  nl: {
    'credential-issued': (f, date) => ({
      subject: 'Er is een nieuwe afgeleide PIV-credential aan u uitgegeven',
      text:
        `Op ${date('issuedAt')} is op uw naam een afgeleide PIV-credential uitgegeven voor een telefoon (${f('device')}).\n` +
        `Serienummer van het certificaat: ${f('serialNumberHex')}\nGeldig tot: ${date('notAfter')}\n\n` +
        'Hebt u geen telefoon aangemeld? Neem dan direct contact op met uw helpdesk: iemand kan uw pas hebben gebruikt.',
    }),
    'credential-revoked': (f, date) => ({
      subject: 'Uw afgeleide PIV-credential is ingetrokken',
      text:
        `De afgeleide PIV-credential met serienummer ${f('serialNumberHex')} is op ${date('revokedAt')} ingetrokken` +
        ` (${f('reason')}). U kunt hem niet meer gebruiken.\n\nMeld u opnieuw aan bij een kiosk met uw pas voor een nieuwe.`,
    }),
    'renewal-due': (f, date) => ({
      subject: 'Uw afgeleide PIV-credential moet worden vernieuwd',
      text:
        `De afgeleide PIV-credential met serienummer ${f('serialNumberHex')} verloopt op ${date('notAfter')}.\n\n` +
        'Vernieuw hem vóór die datum: meld uw telefoon opnieuw aan bij een kiosk met uw pas. De oude credential ' +
        'wordt ingetrokken zodra de nieuwe is uitgegeven.',
    }),
    'issuer-changed': () => ({
      subject: 'Uw organisatie heeft een andere uitgever van afgeleide credentials',
      text:
        'Uw organisatie heeft de uitgever van afgeleide PIV-credentials vervangen. Credentials van de vorige ' +
        'uitgever werken niet meer.\n\nMeld uw telefoon opnieuw aan bij een kiosk met uw pas.',
    }),
    'card-revoked': (f, date) => ({
      subject: 'Uw PIV-pas is als ingetrokken gemeld',
      text:
        `Op ${date('foundAt')} hebben we vastgesteld dat uw PIV-pas (serienummer van het certificaat ` +
        `${f('cardSerialNumberHex')}) door de uitgever is ingetrokken. Volgens het beleid van uw organisatie blijven ` +
        'de afgeleide PIV-credentials op uw telefoon voorlopig bruikbaar; ze worden ingetrokken als uw account ' +
        'wordt beëindigd.\n\nHad u dit niet verwacht (uw pas is niet kwijt en u gaat niet weg)? Neem dan direct ' +
        'contact op met uw helpdesk.',
    }),
  },
};

const SIGNATURE: Record<NotificationLanguage, (issuer: string, help: string | null) => string> = {
  en: (issuer, help) =>
    `\n\n-- \n${issuer}${help === null ? '' : `\nHelp: ${help}`}\nThis message was sent automatically; replies are not read.\n`,
  nl: (issuer, help) =>
    `\n\n-- \n${issuer}${help === null ? '' : `\nHulp: ${help}`}\nDit bericht is automatisch verstuurd; antwoorden worden niet gelezen.\n`,
};

export function composeNotice(context: NoticeContext): Notice {
  const f = (key: string) => fact(context.facts, key);
  const notice = WORDING[context.language][context.kind](f, (key) => longDate(f(key), context.language));
  return {
    subject: `${notice.subject} (${clean(context.issuerName)})`,
    text:
      notice.text +
      SIGNATURE[context.language](clean(context.issuerName), context.helpUrl === null ? null : clean(context.helpUrl)),
  };
}
