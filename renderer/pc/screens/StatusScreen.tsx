// The first screen: this PC holds nothing yet ("Set up this PC", what it does, the one button), or its credential
// (InstalledFacts) with Renew and Remove; Remove asks first (the kiosk's ConfirmDialog).
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PcApi, PcInstalled } from '../../../contracts/pc-api.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { InstalledFacts } from './InstalledFacts.tsx';

interface StatusScreenProps {
  readonly api: PcApi;
  readonly installed: PcInstalled | null;
}

export function StatusScreen({ api, installed }: StatusScreenProps): ReactNode {
  const { t } = useTranslation();
  const [confirming, setConfirming] = useState(false);
  if (installed === null)
    return (
      <ScreenFrame title={t('pc.status.notSetUpTitle')}>
        <p className="lead">{t('pc.status.notSetUp')}</p>
        <p>{t('pc.status.whatYouNeed')}</p>
        <div className="pc__actions">
          <button
            type="button"
            className="button button--primary button--large"
            onClick={() => void api.start('enroll')}
          >
            {t('pc.status.setUp')}
          </button>
        </div>
      </ScreenFrame>
    );
  return (
    <ScreenFrame title={t('pc.status.setUpTitle')} tone="success">
      <InstalledFacts installed={installed} />
      <div className="pc__actions">
        <button type="button" className="button button--primary button--large" onClick={() => void api.start('renew')}>
          {t('pc.status.renew')}
        </button>
        <button type="button" className="button button--secondary button--large" onClick={() => setConfirming(true)}>
          {t('pc.status.remove')}
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title={t('pc.remove.confirmTitle')}
          body={t('pc.remove.confirmBody')}
          confirmLabel={t('pc.remove.confirm')}
          backLabel={t('pc.remove.back')}
          onConfirm={() => {
            setConfirming(false);
            void api.remove();
          }}
          onBack={() => setConfirming(false)}
        />
      ) : null}
    </ScreenFrame>
  );
}
