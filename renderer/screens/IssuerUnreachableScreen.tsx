import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { useNow } from '../hooks.ts';
import { deadlineFromSeconds, secondsLeftUntil } from '../logic/countdown.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function IssuerUnreachableScreen({
  view,
  kiosk,
  receivedAt,
  onCallFailed,
}: ScreenProps<'issuer-unreachable'>): ReactNode {
  const { t } = useTranslation();
  const now = useNow();
  let retryText: string;
  if (view.retryInSeconds === null) {
    retryText = t('unreachable.noRetry');
  } else {
    const left = secondsLeftUntil(deadlineFromSeconds(view.retryInSeconds, receivedAt), now);
    retryText = left > 0 ? t('unreachable.retryIn', { count: left }) : t('unreachable.retryingNow');
  }
  return (
    <ScreenFrame
      title={view.busy ? t('unreachable.busyTitle') : t('unreachable.title')}
      tone="problem"
      onCancel={() => void settle(kiosk.cancel(), onCallFailed)}
    >
      {/* Busy: the issuer answered that its database is down (503 storage-unavailable), not that it is out of reach. */}
      <p className="lead">{view.busy ? t('unreachable.busy') : t('unreachable.body')}</p>
      <p className="countdown-text" role="timer">
        {retryText}
      </p>
    </ScreenFrame>
  );
}
