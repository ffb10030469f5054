// The QR code the phone scans, the one-time password under it in large grouped digits, a countdown to when
// both stop working, "New code" once they have, and the tenant's help address (text and small QR).
// Nothing here is cached: the QR geometry lives in a useMemo of the mounted component and goes with it.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { QrCodeSvg } from '../components/QrCodeSvg.tsx';
import { HelpLink } from '../components/HelpLink.tsx';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { useNow } from '../hooks.ts';
import { deadlineFromIso, formatMinutesSeconds, secondsLeftUntil } from '../logic/countdown.ts';
import { formatOtpForDisplay, otpForScreenReader } from '../logic/otp.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function EnrollmentScreen({ view, kiosk, onCallFailed }: ScreenProps<'enrollment'>): ReactNode {
  const { t } = useTranslation();
  const now = useNow();
  const secondsLeft = secondsLeftUntil(deadlineFromIso(view.expiresAt), now);
  const expired = secondsLeft === 0;
  return (
    <ScreenFrame title={t('enrollment.title')} onCancel={() => void settle(kiosk.cancel(), onCallFailed)} className="enrollment">
      <div className="enrollment__layout">
        <div className={`enrollment__qr-frame${expired ? ' enrollment__qr-frame--expired' : ''}`}>
          <QrCodeSvg text={view.qrPayload} label={t('enrollment.qrLabel')} className="enrollment__qr" />
        </div>
        <div className="enrollment__details">
          <ol className="enrollment__steps">
            <li>{t('enrollment.stepScan')}</li>
            <li>{t('enrollment.stepPassword')}</li>
          </ol>
          <p className="field-label">{t('enrollment.passwordLabel')}</p>
          <p className={`otp${expired ? ' otp--expired' : ''}`}>
            <span aria-hidden="true">{formatOtpForDisplay(view.otp)}</span>
            <span className="visually-hidden">{t('enrollment.passwordSpoken', { digits: otpForScreenReader(view.otp) })}</span>
          </p>
          {expired ? (
            <div className="enrollment__expired">
              <p className="notice notice--warning">{t('enrollment.expired')}</p>
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
            <p className="countdown-text" role="timer">
              {t('enrollment.expiresIn', { time: formatMinutesSeconds(secondsLeft) })}
            </p>
          )}
          <div className="enrollment__help">
            <h2 className="enrollment__help-title">{t('enrollment.helpTitle')}</h2>
            <HelpLink url={view.helpUrl} caption="" qrLabel={t('enrollment.helpQrLabel', { url: view.helpUrl })} />
          </div>
        </div>
      </div>
    </ScreenFrame>
  );
}
