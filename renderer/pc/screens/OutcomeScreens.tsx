// How a run ends: done ("This PC is set up" with the certificate's expiry and renewal date; renewed; removed), or
// failed: the fault as a plain sentence, what that means for this PC, and what to do (try again, or back).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { PcApi, PcView } from '../../../contracts/pc-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { InstalledFacts } from './InstalledFacts.tsx';

type DoneView = Extract<PcView, { screen: 'done' }>;
type FailedView = Extract<PcView, { screen: 'failed' }>;

export function DoneScreen({ view, onBack }: { readonly view: DoneView; readonly onBack: () => void }): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t(`pc.done.${view.outcome}`)} tone="success">
      <svg className="done__check" viewBox="0 0 64 64" aria-hidden="true" focusable="false">
        <circle cx="32" cy="32" r="30" />
        <path d="M18 33 l10 10 l18 -20" />
      </svg>
      <p className="lead">{t(`pc.done.body.${view.outcome}`)}</p>
      {view.installed === null ? null : <InstalledFacts installed={view.installed} />}
      {view.oldCredentialLeft ? <p className="notice notice--warning">{t('pc.done.oldLeft')}</p> : null}
      {view.unfinishedKeysRemoved === undefined ? null : (
        <p className="muted">{t('pc.done.unfinishedKeysRemoved', { count: view.unfinishedKeysRemoved })}</p>
      )}
      <div className="pc__actions">
        <button type="button" className="button button--primary button--large" onClick={onBack}>
          {t('pc.done.close')}
        </button>
      </div>
    </ScreenFrame>
  );
}

export function FailedScreen({ view, api }: { readonly view: FailedView; readonly api: PcApi }): ReactNode {
  const { t } = useTranslation();
  const retry = view.purpose === 'remove' ? null : view.purpose;
  return (
    // The host gone says nothing about this PC: only that the app must be started again.
    <ScreenFrame
      title={view.fault === 'app-stopped' ? t('pc.title') : t(`pc.failed.title.${view.purpose}`)}
      tone="problem"
    >
      <p className="lead" role="alert">
        {t(`pc.fault.${view.fault}`)}
      </p>
      {view.issuerSentence === undefined ? null : (
        <p lang="en" className="muted">
          {view.issuerSentence}
        </p>
      )}
      {view.fault === 'app-stopped' ? null : <p>{t(`pc.failed.consequence.${view.purpose}`)}</p>}
      {view.fault === 'app-stopped' ? null : (
        <div className="pc__actions">
          {retry === null || view.fault === 'not-set-up' ? null : (
            <button
              type="button"
              className="button button--primary button--large"
              onClick={() => void api.start(retry)}
            >
              {t('pc.failed.again')}
            </button>
          )}
          <button type="button" className="button button--secondary button--large" onClick={() => void api.cancel()}>
            {t('pc.failed.back')}
          </button>
        </div>
      )}
    </ScreenFrame>
  );
}
