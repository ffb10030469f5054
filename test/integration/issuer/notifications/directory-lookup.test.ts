// The cardholder's address and language from a real LDAP directory (Debian's slapd, started here), by UUID or
// FASC-N, and the directory's hostile answers: two or many entries for one person, huge values, values that are
// not addresses (a header injection among them), a filter-widening UUID, a directory that is down or refuses the bind.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectoryLookup } from '../../../../issuer/notifications/directory-lookup.ts';
import type { DirectorySettings } from '../../../../issuer/notifications/directory-lookup.ts';
import { composeNotice } from '../../../../issuer/notifications/messages.ts';
import { findRecipient } from '../../../../issuer/notifications/recipient.ts';
import { createTestPki } from '../../../../virtual-card/test-pki.ts';
import { DIRECTORY_ADMIN_DN, DIRECTORY_SUFFIX, personLdif, startSlapd } from './slapd-directory.ts';
import type { SlapdDirectory } from './slapd-directory.ts';

const UUID = {
  anna: '11111111-1111-4111-8111-111111111111',
  twins: '22222222-2222-4222-8222-222222222222',
  many: '33333333-3333-4333-8333-333333333333',
  huge: '44444444-4444-4444-8444-444444444444',
  injected: '55555555-5555-4555-8555-555555555555',
  mixed: '66666666-6666-4666-8666-666666666666',
  absent: '77777777-7777-4777-8777-777777777777',
};
const BOB_FASCN = 'd4321a5a1a1084ac2d2b1a5a1a1084ac2d2b1a5a1a10842e71';

let directory: SlapdDirectory;
let settings: DirectorySettings;

beforeAll(async () => {
  const entries = [
    personLdif('anna', { employeeNumber: UUID.anna, mail: 'anna@agency.example', preferredLanguage: 'nl' }),
    personLdif('bob', { employeeType: BOB_FASCN, mail: 'bob@agency.example', preferredLanguage: 'en-GB, nl;q=0.5' }),
    personLdif('twin1', { employeeNumber: UUID.twins, mail: 'twin1@agency.example' }),
    personLdif('twin2', { employeeNumber: UUID.twins, mail: 'twin2@agency.example' }),
    ...Array.from({ length: 40 }, (_, i) =>
      personLdif(`many${i}`, { employeeNumber: UUID.many, mail: `many${i}@agency.example` }),
    ),
    personLdif('huge', {
      employeeNumber: UUID.huge,
      mail: ['a'.repeat(200_000) + '@agency.example', 'not an address'],
      preferredLanguage: 'x'.repeat(100_000),
    }),
    personLdif('injected', {
      employeeNumber: UUID.injected,
      mail: 'victim@agency.example\r\nBcc: thief@elsewhere.example',
    }),
    personLdif('mixed', { employeeNumber: UUID.mixed, mail: ['"Anna" <anna@agency.example>', 'mixed@agency.example'] }),
  ];
  directory = await startSlapd(entries.join(''));
  const passwordFile = join(directory.dir, 'bind-password');
  writeFileSync(passwordFile, `${directory.adminPassword}\n`);
  chmodSync(passwordFile, 0o600);
  settings = {
    url: directory.url,
    bindDn: DIRECTORY_ADMIN_DN,
    passwordFile,
    passwordEnv: null,
    baseDn: DIRECTORY_SUFFIX,
    uuidAttribute: 'employeeNumber',
    fascnAttribute: 'employeeType',
    mailAttribute: 'mail',
    languageAttribute: 'preferredLanguage',
    caFile: null,
    timeoutSeconds: 5,
  };
}, 60_000);

afterAll(async () => {
  await directory.stop();
});

const key = (uuid: string | null, fascnHex: string | null = null) => ({ uuid, fascnHex });

describe('directory lookup (slapd)', () => {
  it('finds the address and language by UUID, and by FASC-N', async () => {
    const lookup = createDirectoryLookup(settings);
    expect(await lookup.find(key(UUID.anna))).toEqual({ found: true, address: 'anna@agency.example', language: 'nl' });
    expect(await lookup.find(key(null, BOB_FASCN))).toEqual({
      found: true,
      address: 'bob@agency.example',
      language: 'en',
    });
  });

  it('refuses to choose between two entries, or among many', async () => {
    const lookup = createDirectoryLookup(settings);
    expect(await lookup.find(key(UUID.twins))).toMatchObject({
      found: false,
      code: 'directory-ambiguous',
      retry: false,
    });
    expect(await lookup.find(key(UUID.many))).toMatchObject({
      found: false,
      code: 'directory-ambiguous',
      retry: false,
    });
  });

  it('refuses huge values, non-addresses and a header injection; takes the one plain address of a mixed entry', async () => {
    const lookup = createDirectoryLookup(settings);
    expect(await lookup.find(key(UUID.huge))).toMatchObject({ found: false, code: 'directory-address-invalid' });
    expect(await lookup.find(key(UUID.injected))).toMatchObject({ found: false, code: 'directory-address-invalid' });
    expect(await lookup.find(key(UUID.mixed))).toEqual({
      found: true,
      address: 'mixed@agency.example',
      language: null,
    });
  });

  it('a UUID with filter characters matches nothing (the value is escaped); an unknown person has no entry', async () => {
    const lookup = createDirectoryLookup(settings);
    expect(await lookup.find(key('*'))).toMatchObject({ found: false, code: 'directory-no-entry' });
    expect(await lookup.find(key(`${UUID.anna})(employeeNumber=*`))).toMatchObject({
      found: false,
      code: 'directory-no-entry',
    });
    expect(await lookup.find(key(UUID.absent))).toMatchObject({
      found: false,
      code: 'directory-no-entry',
      retry: false,
    });
  });

  it('a directory that refuses the bind or is not there is retried later, not a verdict', async () => {
    process.env.DCK_TEST_WRONG_LDAP_PASSWORD = 'not-the-password';
    const wrongPassword = createDirectoryLookup({
      ...settings,
      passwordFile: null,
      passwordEnv: 'DCK_TEST_WRONG_LDAP_PASSWORD',
    });
    expect(await wrongPassword.find(key(UUID.anna))).toMatchObject({
      found: false,
      code: 'directory-unavailable',
      retry: true,
    });
    const down = createDirectoryLookup({ ...settings, url: 'ldap://127.0.0.1:1', timeoutSeconds: 1 });
    expect(await down.find(key(UUID.anna))).toMatchObject({ found: false, code: 'directory-unavailable', retry: true });
  });

  it("a card without an address in its certificate is told in the language of its holder's entry", async () => {
    const pki = await createTestPki();
    const card = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Anna', uuid: UUID.anna });
    const recipient = await findRecipient(
      {
        id: 'card-1',
        issuerDn: 'CN=x',
        serialNumberHex: '01',
        uuid: card.uuid,
        fascnHex: null,
        commonName: 'Anna',
        notAfter: card.certificate.notAfter.getTime(),
        certificateDer: card.der,
      },
      createDirectoryLookup(settings),
    );
    expect(recipient).toEqual({ found: true, address: 'anna@agency.example', language: 'nl', source: 'directory' });
    const notice = composeNotice({
      kind: 'renewal-due',
      language: recipient.found ? (recipient.language ?? 'en') : 'en',
      facts: { serialNumberHex: 'ab12', notAfter: '2027-03-01T00:00:00.000Z' },
      issuerName: 'Agentschap',
      helpUrl: null,
    });
    expect(notice.subject).toBe('Uw afgeleide PIV-credential moet worden vernieuwd (Agentschap)');
    expect(notice.text).toContain('verloopt op 1 maart 2027');
  }, 30_000);
});
