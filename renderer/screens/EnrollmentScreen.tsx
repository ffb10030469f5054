// The QR code the phone scans and the one-time password beside it, while the kiosk waits for the phone.
// The only QR code on this screen is the enrollment's (a phone photographing the whole screen must not find
// another). "Start over" and Escape ask first: a live enrollment is easy to lose and slow to get back.
// Nothing here is cached: the QR geometry lives in a useMemo of the mounted component and goes with it.
import type { ReactNode } from 'react';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { HelpDeskContact } from '../components/HelpDeskContact.tsx';
import { QrCodeSvg } from '../components/QrCodeSvg.tsx';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { useNow } from '../hooks.ts';
import { deadlineFromIso, minutesAndSeconds, secondsLeftUntil } from '../logic/countdown.ts';
import { formatOtpForDisplay, otpForScreenReader } from '../logic/otp.ts';
import type { KioskAgentCheck } from '../../contracts/kiosk-api.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

/** The event App listens for to ask before Escape ends a live enrollment (see useEscapeToCancel). */
export const ASK_BEFORE_CANCEL_EVENT = 'kiosk:ask-before-cancel';

export function EnrollmentScreen({ view, kiosk, config, onCallFailed }: ScreenProps<'enrollment'>): ReactNode {
  const { t } = useTranslation();
  const now = useNow();
  const [asking, setAsking] = useState(false);
  const secondsLeft = secondsLeftUntil(deadlineFromIso(view.expiresAt), now);
  const stopped = view.stopped ?? (secondsLeft === 0 ? 'expired' : null);
  useAskBeforeCancel(stopped === null, () => setAsking(true));
  const cancel = (): void => void settle(kiosk.cancel(), onCallFailed);
  return (
    <ScreenFrame
      title={t('enrollment.title')}
      onCancel={stopped === null ? () => setAsking(true) : cancel}
      className="enrollment"
    >
      <div className="enrollment__layout">
        <div className={`enrollment__qr-frame${stopped ? ' enrollment__qr-frame--expired' : ''}`}>
          <QrCodeSvg text={view.qrPayload} label={t('enrollment.qrLabel')} className="enrollment__qr" />
        </div>
        <div className="enrollment__details">
          <p className="notice notice--info enrollment__keep-card">{t('enrollment.keepCard')}</p>
          <ol className="enrollment__steps">
            <li>{t('enrollment.stepScan')}</li>
            <li>{t('enrollment.stepPassword')}</li>
          </ol>
          <p className={`otp${stopped ? ' otp--expired' : ''}`}>
            <span aria-hidden="true">{formatOtpForDisplay(view.otp)}</span>
            <span className="visually-hidden">
              {t('enrollment.passwordSpoken', { digits: otpForScreenReader(view.otp) })}
            </span>
          </p>
          {stopped ? (
            <div className="enrollment__expired">
              <p className="notice notice--warning">{t(`enrollment.stopped.${stopped}`)}</p>
              <button
                type="button"
                className="button button--primary button--large"
                disabled={view.renewing}
                onClick={() => void settle(kiosk.renewEnrollment(), onCallFailed)}
              >
                {view.renewing ? t('enrollment.renewing') : t('enrollment.newCode')}
              </button>
            </div>
          ) : (
            <>
              {view.agentCheck === null ? (
                <p className={`enrollment__waiting${view.phoneSeen ? ' enrollment__waiting--seen' : ''}`} role="status">
                  <span className="progress-indicator" aria-hidden="true" />{' '}
                  {t(view.phoneSeen ? 'enrollment.phoneSeen' : 'enrollment.waiting')}
                </p>
              ) : (
                <AgentCheckNotice check={view.agentCheck} />
              )}
              <p className="countdown-text">{t('enrollment.expiresIn', minutesAndSeconds(secondsLeft))}</p>
            </>
          )}
          <div className="enrollment__help">
            <HelpDeskContact config={config} helpUrl={view.helpUrl} />
          </div>
        </div>
      </div>
      {asking ? (
        <ConfirmDialog
          title={t('enrollment.confirmCancelTitle')}
          body={t('enrollment.confirmCancelBody')}
          confirmLabel={t('enrollment.confirmCancelYes')}
          backLabel={t('enrollment.confirmCancelNo')}
          onConfirm={() => {
            setAsking(false);
            cancel();
          }}
          onBack={() => setAsking(false)}
        />
      ) : null}
    </ScreenFrame>
  );
}

/**
 * Supervised issuance: the phone's redeem waits for a help-desk agent. The person compares the fingerprint here with
 * the one on their phone (and tells the agent if they differ); once the agent affirms, the phone finishes.
 */
function AgentCheckNotice({ check }: { check: KioskAgentCheck }): ReactNode {
  const { t } = useTranslation();
  if (check.affirmed)
    return (
      <p className="enrollment__waiting enrollment__waiting--seen" role="status">
        <span className="progress-indicator" aria-hidden="true" /> {t('enrollment.agentCheck.affirmed')}
      </p>
    );
  return (
    <div className="enrollment__agent-check" role="status">
      <p className="enrollment__agent-check-title">{t('enrollment.agentCheck.title')}</p>
      <p>{t('enrollment.agentCheck.compare')}</p>
      <p className="key-fingerprint">
        <span aria-hidden="true">{check.keyFingerprint}</span>
        <span className="visually-hidden">
          {/* Read one character at a time, in its groups, like the password. */}
          {t('enrollment.agentCheck.fingerprintSpoken', {
            groups: otpForScreenReader(check.keyFingerprint.replace(/-/g, '')),
          })}
        </span>
      </p>
      <p className="enrollment__waiting">
        <span className="progress-indicator" aria-hidden="true" /> {t('enrollment.agentCheck.waiting')}
      </p>
    </div>
  );
}

/**
 * While the enrollment is live, App's Escape handler dispatches ASK_BEFORE_CANCEL_EVENT; this screen takes it
 * (preventDefault) and asks, instead of App cancelling at once.
 */
function useAskBeforeCancel(live: boolean, ask: () => void): void {
  const latest = useRef(ask);
  latest.current = ask;
  useEffect(() => {
    if (!live) return undefined;
    const listener = (event: Event): void => {
      event.preventDefault();
      latest.current();
    };
    window.addEventListener(ASK_BEFORE_CANCEL_EVENT, listener);
    return () => window.removeEventListener(ASK_BEFORE_CANCEL_EVENT, listener);
  }, [live]);
}
