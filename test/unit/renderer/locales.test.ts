// Every locale file has every key of en.json (plural keys: every plural category of that language), no empty
// value and the same {{placeholders}}; every key the code asks for exists. A new language file is picked up
// by this test without editing it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CardRefusedReason } from '../../../contracts/kiosk-api.ts';
import { announcementFor } from '../../../renderer/logic/announce.ts';
import { fakeView } from '../../../renderer/dev/fake-kiosk.ts';

const rendererDir = join(import.meta.dirname, '../../../renderer');
const localesDir = join(rendererDir, 'i18n/locales');
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

type Tree = { readonly [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [inner, text] of flatten(value, path)) out.set(inner, text);
  }
  return out;
}

function loadLocale(tag: string): Map<string, string> {
  return flatten(JSON.parse(readFileSync(join(localesDir, `${tag}.json`), 'utf8')) as Tree);
}

const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '').sort();
const baseKey = (key: string): string => key.replace(PLURAL_SUFFIX, '');

const tags = readdirSync(localesDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => name.replace(/\.json$/, ''));
const english = loadLocale('en');
const englishBases = new Set([...english.keys()].map(baseKey));
const pluralBases = new Set([...english.keys()].filter((key) => PLURAL_SUFFIX.test(key)).map(baseKey));

/** Does the English locale resolve `key` (directly or as a plural)? */
function englishHas(key: string): boolean {
  return english.has(key) || pluralBases.has(key);
}

describe('locale files', () => {
  it('include English and Dutch', () => {
    expect(tags).toEqual(expect.arrayContaining(['en', 'nl']));
  });

  describe.each(tags)('%s', (tag) => {
    const locale = loadLocale(tag);
    const categories = new Intl.PluralRules(tag).resolvedOptions().pluralCategories;

    it('has every key of en.json, with every plural form the language needs', () => {
      const missing: string[] = [];
      for (const base of englishBases) {
        if (pluralBases.has(base)) {
          for (const category of categories)
            if (!locale.has(`${base}_${category}`)) missing.push(`${base}_${category}`);
        } else if (!locale.has(base)) {
          missing.push(base);
        }
      }
      expect(missing).toEqual([]);
    });

    it('has no keys that en.json does not know', () => {
      const extra = [...locale.keys()].filter((key) => !englishBases.has(baseKey(key)));
      expect(extra).toEqual([]);
    });

    it('has no empty values', () => {
      const empty = [...locale.entries()].filter(([, text]) => text.trim() === '').map(([key]) => key);
      expect(empty).toEqual([]);
    });

    it('uses the same {{placeholders}} as English', () => {
      const mismatched: string[] = [];
      for (const [key, text] of locale) {
        const englishText = english.get(key) ?? english.get(`${baseKey(key)}_other`);
        if (englishText === undefined) continue;
        if (placeholders(text).join() !== placeholders(englishText).join()) mismatched.push(key);
      }
      expect(mismatched).toEqual([]);
    });

    it('names itself in the language picker', () => {
      expect(locale.get('language.name')).toBeTruthy();
    });
  });
});

describe('keys used by the screens', () => {
  function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'dist' ? [] : sourceFiles(path);
      return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
    });
  }

  it("every literal t('key') in the renderer exists in en.json", () => {
    const used = sourceFiles(rendererDir).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([\w.-]+)'/g)].map((m) => m[1] ?? ''),
    );
    expect(used.length).toBeGreaterThan(50);
    expect(used.filter((key) => !englishHas(key))).toEqual([]);
  });

  it('every refusal reason, user-code error and screen announcement has its text', () => {
    const reasons: CardRefusedReason[] = [
      'not-piv',
      'pin-blocked',
      'certificate-expired',
      'unreadable',
      'card-untrusted',
    ];
    for (const reason of reasons) expect(englishHas(`refused.reason.${reason}`)).toBe(true);
    for (const error of ['unknown-code', 'expired-code', 'bad-format'])
      expect(englishHas(`userCode.error.${error}`)).toBe(true);
    const screens = [
      'welcome',
      'reading-card',
      'card-refused',
      'pin',
      'pin-blocked',
      'user-code',
      'enrollment',
      'done',
      'issuer-unreachable',
      'still-there',
      'out-of-order',
    ];
    const variants = [null, 'wrong', 'last-try', 'expired', 'unknown', 'untrusted', 'no-retry', 'busy'];
    for (const screen of screens) {
      for (const variant of variants) {
        for (const key of announcementFor(fakeView(screen, variant)).keys) expect(englishHas(key), key).toBe(true);
      }
    }
  });
});
