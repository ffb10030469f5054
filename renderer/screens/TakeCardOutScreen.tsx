// A card from a finished, refused or cancelled session is still in the reader: its owner must take it, and the
// next person must not be told to insert a card. Taking it out shows the welcome screen; putting it back starts
// a new session. In the demo, the virtual card can be used again right away.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CardIllustration } from '../components/CardIllustration.tsx';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function TakeCardOutScreen({ view, kiosk, onCallFailed }: ScreenProps<'take-card-out'>): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('takeCardOut.title')} className="take-card-out">
      <div className="welcome__layout">
        <CardIllustration />
        <div className="welcome__text">
          <p className="lead">{t('takeCardOut.body')}</p>
          <p>{t('takeCardOut.startAgain')}</p>
          {view.virtualCardOffered ? (
            <div className="welcome__demo">
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void settle(kiosk.useVirtualCard(), onCallFailed)}
              >
                {t('takeCardOut.virtualCardAgain')}
              </button>
            </div>
          ) : null}
        </div>
      </div>
    </ScreenFrame>
  );
}
