// Number matching (RFC 8628 §5.4): before the phone gets anything, the person sees which phone and app the code
// belongs to and a two-digit number that phone shows too. "Only continue if this is your phone in your hand":
// a code read out over the telephone by someone posing as the help desk lands here, on a phone that is not theirs.
// The phone's own words (model, app) come from outside the kiosk: rendered as text, direction-isolated (<bdi>).
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ReportedDevice } from '../../contracts/kiosk-api.ts';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

/** "Pixel 9 (Android 15)", or the parts the phone reported; null when it reported neither. */
function phoneText(device: ReportedDevice): string | null {
  if (device.model !== null && device.platform !== null) return `${device.model} (${device.platform})`;
  return device.model ?? device.platform;
}

function appText(device: ReportedDevice): string | null {
  if (device.appName === null) return device.appVersion;
  return device.appVersion === null ? device.appName : `${device.appName} ${device.appVersion}`;
}

export function ConfirmDeviceScreen({ view, kiosk, onCallFailed }: ScreenProps<'confirm-device'>): ReactNode {
  const { t } = useTranslation();
  const phone = phoneText(view.device);
  const app = appText(view.device);
  const reported = (text: string | null): ReactNode =>
    text === null ? (
      <span className="confirm-device__unknown">{t('confirmDevice.notReported')}</span>
    ) : (
      <bdi>{text}</bdi>
    );
  return (
    <ScreenFrame
      eyebrow={view.holderName ? t('userCode.greeting', { name: view.holderName }) : undefined}
      title={t('confirmDevice.title')}
      onCancel={() => void settle(kiosk.cancel(), onCallFailed)}
      className="confirm-device"
    >
      <p className="notice notice--warning confirm-device__warning">
        <strong>{t('confirmDevice.onlyYourPhone')}</strong> {t('confirmDevice.neverAsked')}
      </p>
      <div className="confirm-device__layout">
        <dl className="confirm-device__facts">
          <dt>{t('confirmDevice.phone')}</dt>
          <dd>{reported(phone)}</dd>
          <dt>{t('confirmDevice.app')}</dt>
          <dd>{reported(app)}</dd>
        </dl>
        <figure className="confirm-device__number">
          <p
            className="confirm-device__digits"
            aria-label={t('confirmDevice.numberLabel', { number: [...view.matchNumber].join(' ') })}
          >
            {view.matchNumber}
          </p>
          <figcaption>{t('confirmDevice.numberCaption')}</figcaption>
        </figure>
      </div>
      <div className="confirm-device__actions">
        <button
          type="button"
          className="button button--primary button--large"
          disabled={view.busy}
          onClick={() => void settle(kiosk.confirmDevice(), onCallFailed)}
        >
          {t('confirmDevice.yes')}
        </button>
        <button
          type="button"
          className="button button--secondary button--large"
          disabled={view.busy}
          onClick={() => void settle(kiosk.denyDevice(), onCallFailed)}
        >
          {t('confirmDevice.no')}
        </button>
      </div>
      {view.busy ? (
        <p className="confirm-device__busy" role="status">
          {t('confirmDevice.busy')}
        </p>
      ) : null}
    </ScreenFrame>
  );
}
