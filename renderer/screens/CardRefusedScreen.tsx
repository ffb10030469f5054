import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function CardRefusedScreen({ view, kiosk, onCallFailed }: ScreenProps<'card-refused'>): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('refused.title')} tone="problem" onCancel={() => void settle(kiosk.cancel(), onCallFailed)}>
      <p className="lead">{t(`refused.reason.${view.reason}`)}</p>
      <p>{t('refused.removeCard')}</p>
    </ScreenFrame>
  );
}
