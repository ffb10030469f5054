// The first screen: what to do (insert the card), in one line what a derived credential is, what to bring
// (the app, by name; its download QR when the tenant gives a store address), and the demo card when offered.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { CardIllustration } from '../components/CardIllustration.tsx';
import { QrCodeSvg } from '../components/QrCodeSvg.tsx';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { useSpeech } from '../speech-context.ts';
import type { KioskConfig } from '../../contracts/kiosk-api.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

/** Where the app can be downloaded: one QR code each (the store links, else the one download address). */
function downloadLinks(
  app: KioskConfig['phoneApp'],
): readonly { readonly store: 'app-store' | 'google-play' | null; readonly url: string }[] {
  if (app === undefined) return [];
  if (app.storeLinks !== undefined && app.storeLinks.length > 0) return app.storeLinks;
  return app.downloadUrl === undefined ? [] : [{ store: null, url: app.downloadUrl }];
}

export function WelcomeScreen({ view, kiosk, config, onCallFailed }: ScreenProps<'welcome'>): ReactNode {
  const { t, i18n } = useTranslation();
  const app = config.phoneApp;
  const speech = useSpeech();
  const language = i18n.resolvedLanguage ?? config.defaultLanguage;
  const whatIs = config.whatIsDerivedCredential?.[language] ?? t('welcome.whatIs');
  return (
    <ScreenFrame title={t('welcome.title')} className="welcome">
      <div className="welcome__layout">
        <CardIllustration />
        <div className="welcome__text">
          <p className="lead">{t('welcome.instructions')}</p>
          <p>{whatIs}</p>
          <p>{app ? t('welcome.whatYouNeedApp', { app: app.name }) : t('welcome.whatYouNeed')}</p>
          {app !== undefined && downloadLinks(app).length > 0 ? (
            <div className="welcome__app">
              {downloadLinks(app).map((link) => (
                <figure key={link.url} className="welcome__app-store">
                  <QrCodeSvg
                    text={link.url}
                    label={t('welcome.appQrLabel', { app: app.name })}
                    className="welcome__app-qr"
                  />
                  {link.store === null ? null : <figcaption>{t(`welcome.store.${link.store}`)}</figcaption>}
                </figure>
              ))}
              <p className="muted">{t('welcome.appQrCaption', { app: app.name })}</p>
            </div>
          ) : null}
          <div className="welcome__speech">
            <button type="button" className="button button--secondary" aria-pressed={speech.on} onClick={speech.turnOn}>
              {t('speech.button')}
            </button>
            <p className="muted">{t('speech.hint')}</p>
          </div>
          {view.virtualCardOffered ? (
            <div className="welcome__demo">
              <p className="muted">{t('welcome.virtualCardHint')}</p>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void settle(kiosk.useVirtualCard(), onCallFailed)}
              >
                {t('welcome.virtualCard')}
              </button>
            </div>
          ) : null}
        </div>
      </div>
    </ScreenFrame>
  );
}
