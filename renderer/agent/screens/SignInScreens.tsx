// The console's screens before an agent is signed in: locked (insert your card, with why it locked), reading the
// card, and a card that cannot sign in (each reason a sentence).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsoleLockReason, ConsoleSignInRefusal } from '../../../contracts/console-api.ts';
import { CardIllustration } from '../../components/CardIllustration.tsx';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';

export function LockedScreen({ reason }: { readonly reason: ConsoleLockReason }): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame
      title={t('console.locked.title')}
      tone={reason === 'start' || reason === 'signed-out' ? 'normal' : 'problem'}
    >
      <div className="welcome__layout">
        <div className="welcome__text">
          <p className="lead" role="status">
            {t(`console.locked.${reason}`)}
          </p>
          <p className="lead">{t('console.locked.instructions')}</p>
        </div>
        <CardIllustration />
      </div>
    </ScreenFrame>
  );
}

export function ReadingCardScreen(): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('console.reading')}>
      <div className="progress-indicator" aria-hidden="true" />
    </ScreenFrame>
  );
}

export function SignInRefusedScreen({ reason }: { readonly reason: ConsoleSignInRefusal }): ReactNode {
  const { t } = useTranslation();
  return (
    <ScreenFrame title={t('console.refused.title')} tone="problem">
      <p className="lead" role="alert">
        {t(`console.refused.${reason}`)}
      </p>
      <p className="lead">{t('console.refused.again')}</p>
    </ScreenFrame>
  );
}
