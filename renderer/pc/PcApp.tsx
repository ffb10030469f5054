// "Set up this PC"'s shell: the header (title, the kiosk's accessibility bar: speech and languages), a live region
// that says each new screen (spoken too when speech is on), and the one screen main's view names.
import type { ReactNode } from 'react';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PcApi, PcView } from '../../contracts/pc-api.ts';
import { LanguagePicker } from '../components/LanguagePicker.tsx';
import { bundledLanguages } from '../i18n/index.ts';
import { createSpeaker, pageSpeechOutput } from '../logic/speech.ts';
import { SpeechContext } from '../speech-context.ts';
import { PinEntry } from '../screens/PinScreen.tsx';
import { InsertCardScreen, ReadingCardScreen } from './screens/CardScreens.tsx';
import { DoneScreen, FailedScreen } from './screens/OutcomeScreens.tsx';
import { StatusScreen } from './screens/StatusScreen.tsx';
import { WorkingScreen } from './screens/WorkingScreen.tsx';
import { announcementKey } from './pc-announcement.ts';

export function PcApp({ api }: { readonly api: PcApi }): ReactNode {
  const { t, i18n } = useTranslation();
  const [view, setView] = useState<PcView | null>(null);
  const [speechOn, setSpeechOn] = useState(false);
  const speaker = useMemo(() => createSpeaker(pageSpeechOutput()), []);
  const language = i18n.resolvedLanguage ?? 'en';
  useEffect(() => api.onView(setView), [api]);
  useEffect(() => {
    document.title = t('pc.title');
  }, [t]);
  const announced = view === null ? '' : t(announcementKey(view));
  useEffect(() => {
    if (speechOn && announced !== '') speaker.say(announced, language);
  }, [announced, speechOn]);
  const speech = useMemo(
    () => ({
      on: speechOn,
      say: (text: string) => {
        if (speechOn) speaker.say(text, language);
      },
      turnOn: () => setSpeechOn(true),
    }),
    [speechOn, speaker, language],
  );
  return (
    <SpeechContext value={speech}>
      <div className="kiosk pc">
        <header className="kiosk__header">
          <p className="kiosk__organisation">{t('pc.title')}</p>
          <div className="pc__accessibility">
            <button
              type="button"
              className="button button--secondary"
              aria-pressed={speechOn}
              onClick={() => {
                if (speechOn) speaker.stop();
                setSpeechOn(!speechOn);
              }}
            >
              {t('speech.button')}
            </button>
            <LanguagePicker languages={bundledLanguages} />
          </div>
        </header>
        <main className="kiosk__main">{view === null ? null : renderView(api, view)}</main>
        <div className="visually-hidden" aria-live="polite" aria-atomic="true">
          {announced}
        </div>
      </div>
    </SpeechContext>
  );
}

function renderView(api: PcApi, view: PcView): ReactNode {
  const cancel = (): void => void api.cancel();
  switch (view.screen) {
    case 'status':
      return <StatusScreen api={api} installed={view.installed} />;
    case 'insert-card':
      return <InsertCardScreen purpose={view.purpose} onCancel={cancel} />;
    case 'reading-card':
      return <ReadingCardScreen />;
    case 'pin':
      return (
        <PinEntry
          view={view}
          submit={(pin, confirmLastTry) => api.submitPin(pin, { confirmLastTry })}
          cancel={cancel}
        />
      );
    case 'working':
      return <WorkingScreen view={view} />;
    case 'done':
      return <DoneScreen view={view} onBack={cancel} />;
    case 'failed':
      return <FailedScreen view={view} api={api} />;
  }
}
