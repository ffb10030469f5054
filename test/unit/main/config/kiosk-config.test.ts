// The deployed kiosk's configuration file: every field validated at start, the offending one named, hostile
// files refused with a clear message (and nothing half-applied).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  KioskConfigError,
  kioskConfigPath,
  loadKioskConfigFile,
  parseKioskConfig,
  readerFilter,
  tenantTexts,
} from '../../../../main/config/kiosk-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dck-kiosk-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const caFile = join(dir, 'issuer-ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

const valid = {
  issuer: { url: 'https://issuer.example.org', caFile },
  kiosk: { name: 'lobby-1' },
  helpUrl: 'https://help.example.org/derived',
};

function fieldOf(input: unknown): string {
  try {
    parseKioskConfig(input);
  } catch (error: unknown) {
    if (error instanceof KioskConfigError) return error.field;
    throw error;
  }
  return 'accepted';
}

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('parseKioskConfig', () => {
  it('fills the defaults of a minimal file', () => {
    expect(parseKioskConfig(valid)).toEqual({
      ...valid,
      kiosk: { name: 'lobby-1', keyFile: null },
      languages: ['en', 'nl'],
      idleSeconds: 60,
      readers: { nameContains: [] },
      updates: { feedUrl: null, checkEveryHours: 6, installAfterIdleMinutes: 15 },
      tenant: {
        organisation: { name: null, perLanguage: {} },
        phoneApp: null,
        helpDesk: {},
        whatIsDerivedCredential: {},
      },
    });
    // Nothing given, nothing passed on: the issuer's name and the kiosk's own texts stay.
    expect(tenantTexts(parseKioskConfig(valid))).toEqual({});
  });

  it("hands the tenant's texts to the screens: names per language, the app and its stores, the help desk, the welcome line", () => {
    const tenant = {
      organisation: { name: 'Example Agency', perLanguage: { nl: 'Voorbeeldagentschap' } },
      phoneApp: {
        name: 'Derived Credentials',
        storeLinks: {
          appStore: 'https://apps.apple.com/app/id1',
          googlePlay: 'https://play.google.com/store/apps/details?id=x',
        },
      },
      helpDesk: { phone: '+31 70 123 4567', place: 'Ground floor, desk 3', hours: 'Mon–Fri 8:00–17:00' },
      whatIsDerivedCredential: {
        en: 'Your phone gets a certificate made from your card.',
        nl: 'Uw telefoon krijgt een certificaat op basis van uw kaart.',
      },
    };
    expect(tenantTexts(parseKioskConfig({ ...valid, tenant }))).toEqual({
      displayName: 'Example Agency',
      displayNames: { nl: 'Voorbeeldagentschap' },
      phoneApp: {
        name: 'Derived Credentials',
        storeLinks: [
          { store: 'app-store', url: 'https://apps.apple.com/app/id1' },
          { store: 'google-play', url: 'https://play.google.com/store/apps/details?id=x' },
        ],
      },
      helpDesk: tenant.helpDesk,
      whatIsDerivedCredential: tenant.whatIsDerivedCredential,
    });
  });

  it.each([
    ['a missing issuer', { ...valid, issuer: undefined }, 'issuer'],
    ['a missing issuer URL', { ...valid, issuer: { caFile } }, 'issuer.url'],
    ['a plain-http issuer', { ...valid, issuer: { url: 'http://issuer.example.org', caFile } }, 'issuer.url'],
    [
      'an issuer URL with a space',
      { ...valid, issuer: { url: 'https://issuer.example.org/a b', caFile } },
      'issuer.url',
    ],
    ['an unknown setting', { ...valid, demo: true }, 'demo'],
    ['an unknown issuer setting', { ...valid, issuer: { ...valid.issuer, insecure: true } }, 'issuer.insecure'],
    ['a kiosk name with a slash', { ...valid, kiosk: { name: '../etc' } }, 'kiosk.name'],
    ['an idle time of 1 s', { ...valid, idleSeconds: 1 }, 'idleSeconds'],
    ['an idle time that is not a number', { ...valid, idleSeconds: '60' }, 'idleSeconds'],
    ['no language', { ...valid, languages: [] }, 'languages'],
    ['a language that is no tag', { ...valid, languages: ['en', '<script>'] }, 'languages.1'],
    ['a help URL that is a script', { ...valid, helpUrl: 'javascript:alert(1)' }, 'helpUrl'],
    ['a reader list that is a string', { ...valid, readers: { nameContains: 'Yubico' } }, 'readers.nameContains'],
    ['a plain-http update feed', { ...valid, updates: { feedUrl: 'http://updates.example.org' } }, 'updates.feedUrl'],
    [
      'an organisation name with a right-to-left override',
      { ...valid, tenant: { organisation: { name: 'Agency\u202Eevil' } } },
      'tenant.organisation.name',
    ],
    [
      'an organisation name per language that is no tag',
      { ...valid, tenant: { organisation: { perLanguage: { 'x y': 'A' } } } },
      'tenant.organisation.perLanguage.x y',
    ],
    [
      'an organisation name with a line break',
      { ...valid, tenant: { organisation: { perLanguage: { nl: 'A\nB' } } } },
      'tenant.organisation.perLanguage.nl',
    ],
    ['an app without a name', { ...valid, tenant: { phoneApp: { storeLinks: {} } } }, 'tenant.phoneApp.name'],
    [
      'a store link over http',
      { ...valid, tenant: { phoneApp: { name: 'App', storeLinks: { appStore: 'http://apps.example' } } } },
      'tenant.phoneApp.storeLinks.appStore',
    ],
    [
      'an unknown store',
      { ...valid, tenant: { phoneApp: { name: 'App', storeLinks: { sideload: 'https://x.example' } } } },
      'tenant.phoneApp.storeLinks.sideload',
    ],
    [
      'a help-desk phone with a zero-width space',
      { ...valid, tenant: { helpDesk: { phone: '+31\u200B70' } } },
      'tenant.helpDesk.phone',
    ],
    [
      'help-desk hours far too long',
      { ...valid, tenant: { helpDesk: { hours: 'x'.repeat(101) } } },
      'tenant.helpDesk.hours',
    ],
    [
      'an unknown help-desk setting',
      { ...valid, tenant: { helpDesk: { email: 'a@b.example' } } },
      'tenant.helpDesk.email',
    ],
    [
      'an empty welcome line',
      { ...valid, tenant: { whatIsDerivedCredential: { en: '' } } },
      'tenant.whatIsDerivedCredential.en',
    ],
    ['an array', [], ''],
    ['null', null, 'issuer'],
  ])('names the field for %s', (_what, input, field) => {
    expect(fieldOf(input)).toBe(field);
  });
});

describe('loadKioskConfigFile', () => {
  it('reads the file and the issuer trust it names', () => {
    const loaded = loadKioskConfigFile(writeConfig('good.json', JSON.stringify(valid)));
    expect(loaded.config.kiosk.name).toBe('lobby-1');
    expect(loaded.issuerTrustPem).toContain('BEGIN CERTIFICATE');
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.json'), '(file)', /cannot read .*absent\.json \(ENOENT\)/],
    ['a file that is not JSON', () => writeConfig('bad.json', '{ issuer: '), '(file)', /is not JSON/],
    ['a huge file', () => writeConfig('huge.json', ' '.repeat(70 * 1024)), '(file)', /larger than 64 KB/],
    [
      'a missing trust file',
      () =>
        writeConfig(
          'no-ca.json',
          JSON.stringify({ ...valid, issuer: { ...valid.issuer, caFile: join(dir, 'none.pem') } }),
        ),
      'issuer.caFile',
      /cannot read/,
    ],
    [
      'a trust file without a certificate',
      () => {
        writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
        return writeConfig(
          'key-as-ca.json',
          JSON.stringify({ ...valid, issuer: { ...valid.issuer, caFile: join(dir, 'key.pem') } }),
        );
      },
      'issuer.caFile',
      /holds no PEM certificate/,
    ],
  ])('refuses %s, naming the field', (_what, file, field, message) => {
    let caught: unknown = null;
    try {
      loadKioskConfigFile(file());
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KioskConfigError);
    expect((caught as KioskConfigError).field).toBe(field);
    expect((caught as KioskConfigError).message).toMatch(message);
  });
});

describe('kioskConfigPath', () => {
  it('takes --config, then DCK_KIOSK_CONFIG, then the platform default', () => {
    expect(
      kioskConfigPath(['electron', 'main.mjs', '--config', '/srv/k.json'], { DCK_KIOSK_CONFIG: '/x.json' }, 'linux'),
    ).toBe('/srv/k.json');
    expect(kioskConfigPath(['electron', 'main.mjs'], { DCK_KIOSK_CONFIG: '/x.json' }, 'linux')).toBe('/x.json');
    expect(kioskConfigPath(['electron'], {}, 'linux')).toBe('/etc/derived-credential-kiosk/kiosk.json');
    expect(kioskConfigPath(['electron'], { ProgramData: 'D:\\PD' }, 'win32')).toMatch(
      /^D:\\PD.DerivedCredentialKiosk.kiosk\.json$/,
    );
  });
});

describe('readerFilter', () => {
  it('uses every reader unless names are given', () => {
    expect(readerFilter(parseKioskConfig(valid))('Any Reader 00 00')).toBe(true);
    const only = readerFilter(parseKioskConfig({ ...valid, readers: { nameContains: ['Identiv'] } }));
    expect(only('Identiv uTrust 3700 F 00 00')).toBe(true);
    expect(only('Virtual PCD 00 00')).toBe(false);
  });
});
