// Language buttons on the welcome screen, each labelled in its own language (and marked with `lang`, so a
// screen reader pronounces "Nederlands" in Dutch). The chosen one is marked with aria-pressed.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { languageName } from '../i18n/index.ts';

interface LanguagePickerProps {
  readonly languages: readonly string[];
}

export function LanguagePicker({ languages }: LanguagePickerProps): ReactNode {
  const { t, i18n } = useTranslation();
  if (languages.length < 2) return null;
  return (
    <nav className="language-picker" aria-label={t('language.pickerLabel')}>
      {languages.map((tag) => {
        const current = i18n.resolvedLanguage === tag;
        return (
          <button
            key={tag}
            type="button"
            lang={tag}
            className={`language-picker__option${current ? ' language-picker__option--current' : ''}`}
            aria-pressed={current}
            onClick={() => void i18n.changeLanguage(tag)}
          >
            {languageName(tag)}
          </button>
        );
      })}
    </nav>
  );
}
