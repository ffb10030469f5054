import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import type { ScreenProps } from './screen-props.ts';

/** The credential's end date, in the shown language's long form ("6 December 2027"); null when unknown or unreadable. */
function expiryDate(iso: string | null, language: string): string | null {
  if (iso === null) return null;
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return null;
  return new Intl.DateTimeFormat(language, { dateStyle: 'long' }).format(when);
}

export function DoneScreen({ view }: ScreenProps<'done'>): ReactNode {
  const { t, i18n } = useTranslation();
  const until = expiryDate(view.credentialExpiresAt, i18n.resolvedLanguage ?? 'en');
  return (
    <ScreenFrame title={t('done.title')} tone="success">
      <svg className="done__check" viewBox="0 0 64 64" aria-hidden="true" focusable="false">
        <circle cx="32" cy="32" r="30" />
        <path d="M18 33 l10 10 l18 -20" />
      </svg>
      {view.holderName ? <p className="lead">{t('done.greeting', { name: view.holderName })}</p> : null}
      <p className="lead">{t('done.body')}</p>
      {until ? <p>{t('done.expires', { date: until })}</p> : null}
    </ScreenFrame>
  );
}
