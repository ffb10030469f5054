import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';

export function ReadingCardScreen(): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('reading.title')}>
      <div className="progress-indicator" aria-hidden="true" />
      <p className="lead">{t('reading.body')}</p>
    </ScreenFrame>
  );
}
