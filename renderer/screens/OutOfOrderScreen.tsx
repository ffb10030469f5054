// For the next person when the kiosk cannot serve anyone: what is wrong, in one line, and what to do instead.
// No card is read and no PIN asked for while this shows (main holds any card inserted meanwhile).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import type { ScreenProps } from './screen-props.ts';

export function OutOfOrderScreen({ view }: ScreenProps<'out-of-order'>): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('outOfOrder.title')} tone="problem" className="out-of-order">
      <p className="lead">{t(`outOfOrder.reason.${view.reason}`)}</p>
      <p className="lead">{t('outOfOrder.whatToDo')}</p>
    </ScreenFrame>
  );
}
