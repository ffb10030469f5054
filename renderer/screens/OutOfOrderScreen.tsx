// The kiosk cannot serve anyone (e.g. its configuration file is missing or wrong): a plain message for the next
// person, no flow and no demo. The reason for the operator is in main's log, not on the screen.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { KioskView } from '../../contracts/kiosk-api.ts';
import { ScreenFrame } from '../components/ScreenFrame.tsx';

export function OutOfOrderScreen({ view }: { readonly view: Extract<KioskView, { screen: 'out-of-order' }> }): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('outOfOrder.title')} tone="problem">
      <p className="lead">{t('outOfOrder.body')}</p>
      <p>{t(`outOfOrder.reason.${view.reason}`)}</p>
    </ScreenFrame>
  );
}
