import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { HelpDeskContact } from '../components/HelpDeskContact.tsx';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function PinBlockedScreen({ view, kiosk, config, onCallFailed }: ScreenProps<'pin-blocked'>): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame
      title={t('pinBlocked.title')}
      tone="problem"
      onCancel={() => void settle(kiosk.cancel(), onCallFailed)}
    >
      <p className="lead">{t('pinBlocked.body')}</p>
      <HelpDeskContact config={config} helpUrl={view.helpUrl} />
      <p>{t('refused.removeCard')}</p>
    </ScreenFrame>
  );
}
