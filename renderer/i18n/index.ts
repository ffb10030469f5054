// Translations for every screen (i18next). Language is renderer-only state: the person picks it on the welcome
// screen and it goes back to the kiosk's default language when the session ends.
//
// ADDING A LANGUAGE = ADDING ONE FILE:
//   1. Copy locales/en.json to locales/<tag>.json, where <tag> is the BCP 47 language tag (e.g. de.json, fr.json).
//   2. Translate every value. "language.name" is the language's name in itself ("Deutsch"), shown in the picker.
//      Plural keys (…_one, …_other) need every plural category the language has (Intl.PluralRules), e.g.
//      …_few and …_many for Polish.
//   3. List the tag in the kiosk configuration's `languages` (otherwise all bundled languages are offered).
// The glob below bundles the file at build time; test/unit/renderer/locales.test.ts checks it has every key of
// en.json, no empty value, and the same {{placeholders}}.
import i18next from 'i18next';
import type { Resource, ResourceLanguage } from 'i18next';
import { initReactI18next } from 'react-i18next';

const localeModules = import.meta.glob<ResourceLanguage>('./locales/*.json', { eager: true, import: 'default' });

export const FALLBACK_LANGUAGE = 'en';

function languageTagFromPath(path: string): string {
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  return fileName.replace(/\.json$/, '');
}

const resources: Resource = {};
for (const [path, translation] of Object.entries(localeModules)) {
  resources[languageTagFromPath(path)] = { translation };
}

export const bundledLanguages: readonly string[] = Object.keys(resources).sort();

/** The languages to offer: the configured ones that have a locale file, in configured order. */
export function offeredLanguages(configured: readonly string[]): readonly string[] {
  const usable = configured.filter((tag) => bundledLanguages.includes(tag));
  return usable.length > 0 ? usable : bundledLanguages;
}

/** The language's own name ("Nederlands"), for the picker. */
export function languageName(tag: string): string {
  return i18next.t('language.name', { lng: tag });
}

function followDocumentLanguage(language: string): void {
  document.documentElement.lang = language;
  document.documentElement.dir = i18next.dir(language);
}

export function initI18n(defaultLanguage: string): typeof i18next {
  const language = bundledLanguages.includes(defaultLanguage) ? defaultLanguage : FALLBACK_LANGUAGE;
  i18next.on('languageChanged', followDocumentLanguage);
  void i18next.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: FALLBACK_LANGUAGE,
    // React escapes text itself; double escaping would show &amp; on screen.
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  });
  followDocumentLanguage(language);
  return i18next;
}
