// The card steps of "Set up this PC": insert the card (the kiosk's card picture), then the kiosk's own "Reading
// your card" screen; the PIN is the kiosk's PinEntry (PcApp.tsx).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { PcPurpose } from '../../../contracts/pc-api.ts';
import { CardIllustration } from '../../components/CardIllustration.tsx';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';

export { ReadingCardScreen } from '../../screens/ReadingCardScreen.tsx';

export function InsertCardScreen(props: { readonly purpose: PcPurpose; readonly onCancel: () => void }): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('pc.insertCard.title')} onCancel={props.onCancel} className="welcome">
      <div className="welcome__layout">
        <CardIllustration />
        <div className="welcome__text">
          <p className="lead">{t(`pc.insertCard.${props.purpose}`)}</p>
          <p>{t('pc.insertCard.why')}</p>
        </div>
      </div>
    </ScreenFrame>
  );
}
