import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { LanguagePicker } from '../components/LanguagePicker.tsx';
import { CardIllustration } from '../components/CardIllustration.tsx';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

interface WelcomeScreenProps extends ScreenProps<'welcome'> {
  readonly languages: readonly string[];
}

export function WelcomeScreen({ view, kiosk, onCallFailed, languages }: WelcomeScreenProps): ReactNode {
  const { t } = useTranslation();
  const readerProblem =
    view.readers === 'none' ? t('welcome.readersNone') : view.readers === 'service-down' ? t('welcome.serviceDown') : null;
  return (
    <ScreenFrame title={t('welcome.title')} className="welcome">
      <div className="welcome__layout">
        <CardIllustration />
        <div className="welcome__text">
          <p className="lead">{t('welcome.instructions')}</p>
          <p>{t('welcome.whatYouNeed')}</p>
          {readerProblem ? <p className="notice notice--problem">{readerProblem}</p> : null}
          {view.issuer === 'unreachable' ? <p className="notice notice--warning">{t('welcome.issuerUnreachable')}</p> : null}
          {view.virtualCardOffered ? (
            <div className="welcome__demo">
              <p className="muted">{t('welcome.virtualCardHint')}</p>
              <button type="button" className="button button--secondary" onClick={() => void settle(kiosk.useVirtualCard(), onCallFailed)}>
                {t('welcome.virtualCard')}
              </button>
            </div>
          ) : null}
        </div>
      </div>
      <LanguagePicker languages={languages} />
    </ScreenFrame>
  );
}
