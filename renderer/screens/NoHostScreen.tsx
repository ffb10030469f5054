// Shown only when the page was opened without a kiosk host (no window.kiosk): a plain message, no flow.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';

export function NoHostScreen(): ReactNode {
  const { t } = useTranslation();
  return (
    <div className="kiosk">
      <main className="kiosk__main">
        <ScreenFrame title={t('app.title')} tone="problem">
          <p className="lead">{t('app.noHost')}</p>
        </ScreenFrame>
      </main>
    </div>
  );
}
