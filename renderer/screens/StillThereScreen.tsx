import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useFocusOnMount, useNow } from '../hooks.ts';
import { deadlineFromSeconds, secondsLeftUntil } from '../logic/countdown.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';
import { useId } from 'react';

/** A modal-like warning: the only action is "I'm still here", which gets focus so Enter answers it. */
export function StillThereScreen({ view, kiosk, receivedAt, onCallFailed }: ScreenProps<'still-there'>): ReactNode {
  const { t } = useTranslation();
  const now = useNow();
  const buttonRef = useFocusOnMount<HTMLButtonElement>();
  const titleId = useId();
  const bodyId = useId();
  const left = secondsLeftUntil(deadlineFromSeconds(view.secondsLeft, receivedAt), now);
  return (
    <section
      className="screen still-there"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
    >
      <h1 id={titleId} className="screen__title">
        {t('stillThere.title')}
      </h1>
      <p className="still-there__seconds" aria-hidden="true">
        {left}
      </p>
      <p id={bodyId} className="lead" role="timer">
        {t('stillThere.body', { count: left })}
      </p>
      <button
        ref={buttonRef}
        type="button"
        className="button button--primary button--large"
        onClick={() => void settle(kiosk.stillHere(), onCallFailed)}
      >
        {t('stillThere.button')}
      </button>
    </section>
  );
}
