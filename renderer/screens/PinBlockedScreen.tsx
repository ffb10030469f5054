import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { HelpLink } from '../components/HelpLink.tsx';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function PinBlockedScreen({ view, kiosk, onCallFailed }: ScreenProps<'pin-blocked'>): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('pinBlocked.title')} tone="problem" onCancel={() => void settle(kiosk.cancel(), onCallFailed)}>
      <p className="lead">{t('pinBlocked.body')}</p>
      <HelpLink url={view.helpUrl} caption={t('pinBlocked.helpAt')} qrLabel={t('pinBlocked.helpQrLabel', { url: view.helpUrl })} />
      <p>{t('refused.removeCard')}</p>
    </ScreenFrame>
  );
}
