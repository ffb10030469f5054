// The notices' words: every kind in both languages, the facts shown, and nothing unsafe carried through.
import { describe, expect, it } from 'vitest';
import { checkedEmailAddress } from '../../../../issuer/notifications/email-address.ts';
import { composeNotice } from '../../../../issuer/notifications/messages.ts';
import { NOTIFICATION_LANGUAGES } from '../../../../issuer/notifications/notification-config.ts';
import type { NotificationKind } from '../../../../issuer/storage/issuer-storage.ts';

const KINDS: NotificationKind[] = [
  'credential-issued',
  'credential-revoked',
  'renewal-due',
  'issuer-changed',
  'card-revoked',
];
const FACTS = {
  serialNumberHex: '5f3a',
  notAfter: '2027-12-05T10:00:00.000Z',
  issuedAt: '2026-12-05T10:00:00.000Z',
  revokedAt: '2027-01-02T10:00:00.000Z',
  reason: 'superseded',
  device: 'dck-phone',
  cardSerialNumberHex: '5f3a',
  foundAt: '2027-01-02T10:00:00.000Z',
};

describe('notices', () => {
  it.each(KINDS.flatMap((kind) => NOTIFICATION_LANGUAGES.map((language) => [kind, language] as const)))(
    '%s in %s: a subject, a body, the issuer signature',
    (kind, language) => {
      const notice = composeNotice({
        kind,
        language,
        facts: FACTS,
        issuerName: 'Agency Issuer',
        helpUrl: 'https://help.agency.example',
      });
      expect(notice.subject).toMatch(/\(Agency Issuer\)$/);
      expect(notice.text).toContain('https://help.agency.example');
      if (kind !== 'issuer-changed') expect(notice.text).toContain('5f3a');
    },
  );

  it("dates in the reader's language", () => {
    expect(
      composeNotice({ kind: 'renewal-due', language: 'en', facts: FACTS, issuerName: 'I', helpUrl: null }).text,
    ).toContain('expires on 5 December 2027');
    expect(
      composeNotice({ kind: 'renewal-due', language: 'nl', facts: FACTS, issuerName: 'I', helpUrl: null }).text,
    ).toContain('verloopt op 5 december 2027');
  });

  it('control characters and bidi overrides in a fact or the issuer name never reach the mail', () => {
    const notice = composeNotice({
      kind: 'credential-issued',
      language: 'en',
      facts: { ...FACTS, device: 'phone\r\nBcc: x@y\u202e' },
      issuerName: 'Issuer\r\nX-Evil: 1',
      helpUrl: null,
    });
    expect(notice.subject).not.toMatch(/[\r\n]/);
    expect(notice.text).toContain('(phoneBcc: x@y)');
    expect(notice.text).not.toContain('\u202e');
  });
});

describe('mail addresses', () => {
  it.each([
    ['anna@agency.example', true],
    ['a.b+c@sub.agency.example', true],
    ['Anna <anna@agency.example>', false],
    ['anna@agency.example\r\nBcc: x@y.example', false],
    ['anna', false],
    ['anna@localhost', false],
    ['"anna"@agency.example', false],
    ['anna@-agency.example', false],
    [`${'a'.repeat(65)}@agency.example`, false],
    [`a@${'b'.repeat(250)}.example`, false],
    ['a..b@agency.example', false],
  ])('%j → %s', (address, accepted) => {
    expect(checkedEmailAddress(address) !== null).toBe(accepted);
  });
});
