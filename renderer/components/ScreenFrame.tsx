// The common layout of a screen: a heading that receives focus when the screen appears, the screen's content,
// and an optional "Start over" action at the bottom.
import type { ReactNode } from 'react';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useFocusOnMount } from '../hooks.ts';

interface ScreenFrameProps {
  readonly title: string;
  /** A short line above the title (e.g. the greeting with the card holder's name). */
  readonly eyebrow?: string;
  readonly tone?: 'normal' | 'problem' | 'success';
  /** When given, a "Start over" button ends the session. */
  readonly onCancel?: () => void;
  /** Whether the heading takes focus on arrival (false when the screen focuses its own input). */
  readonly focusHeading?: boolean;
  readonly className?: string;
  readonly children?: ReactNode;
}

export function ScreenFrame(props: ScreenFrameProps): ReactNode {
  const { t } = useTranslation();
  const headingId = useId();
  const headingRef = useFocusOnMount<HTMLHeadingElement>();
  const focusable = props.focusHeading ?? true;
  return (
    <section
      className={`screen screen--${props.tone ?? 'normal'} ${props.className ?? ''}`}
      aria-labelledby={headingId}
    >
      {props.eyebrow ? <p className="screen__eyebrow">{props.eyebrow}</p> : null}
      <h1 id={headingId} className="screen__title" tabIndex={-1} ref={focusable ? headingRef : undefined}>
        {props.title}
      </h1>
      <div className="screen__body">{props.children}</div>
      {props.onCancel ? (
        <div className="screen__footer">
          <button type="button" className="button button--quiet" onClick={props.onCancel}>
            {t('app.cancel')}
          </button>
        </div>
      ) : null}
    </section>
  );
}
