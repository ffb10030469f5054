import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { longDate } from '../logic/long-date.ts';
import type { ScreenProps } from './screen-props.ts';

export function DoneScreen({ view }: ScreenProps<'done'>): ReactNode {
  const { t, i18n } = useTranslation();
  const until = longDate(view.credentialExpiresAt, i18n.resolvedLanguage ?? 'en');
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
