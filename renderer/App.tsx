// The app shell: subscribes to views from main, renders the one screen they name, announces screen changes to
// screen readers, reports activity for the idle timer, and maps Escape to "start over".
// It holds the current view only: when the session ends and 'welcome' arrives, the previous view object (name,
// OTP, QR payload) is dropped, the language goes back to the kiosk default, and one extra render makes React
// drop its reference to the old state as well.
import type { ReactNode } from 'react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { otpForScreenReader } from './logic/otp.ts';
import { createSpeaker, pageSpeechOutput } from './logic/speech.ts';
import { SpeechContext } from './speech-context.ts';
import type { KioskApi, KioskConfig, KioskError, KioskScreen, KioskView } from '../contracts/kiosk-api.ts';
import { ProgressSteps } from './components/ProgressSteps.tsx';
import { offeredLanguages } from './i18n/index.ts';
import type { Announcement } from './logic/announce.ts';
import { announcementFor, sameAnnouncement } from './logic/announce.ts';
import { progressStepFor } from './logic/progress.ts';
import { createThrottle } from './logic/throttle.ts';
import { renderScreen } from './screens/render-screen.tsx';
import { ASK_BEFORE_CANCEL_EVENT } from './screens/EnrollmentScreen.tsx';
import { LanguagePicker } from './components/LanguagePicker.tsx';

interface ShownView {
  readonly view: KioskView;
  readonly receivedAt: number;
}

/** Escape starts over on these screens (not on welcome, nor on "Still there?", where it would surprise). */
const ESCAPE_CANCELS: ReadonlySet<KioskScreen> = new Set<KioskScreen>([
  'pin',
  'user-code',
  'confirm-device',
  'enrollment',
  'card-refused',
  'pin-blocked',
  'issuer-unreachable',
]);
/** Screens shown when no session runs: one more render drops React's reference to the last session's views. */
const NO_SESSION: ReadonlySet<KioskScreen> = new Set<KioskScreen>(['welcome', 'take-card-out', 'out-of-order']);
/** Screens for the next person (the language goes back to the kiosk's default). */
const NEXT_PERSON: ReadonlySet<KioskScreen> = new Set<KioskScreen>(['welcome', 'out-of-order']);
const ACTIVITY_REPORT_INTERVAL_MS = 2000;
const NOTICE_VISIBLE_MS = 6000;

interface AppProps {
  readonly kiosk: KioskApi;
  readonly config: KioskConfig;
}

export function App({ kiosk, config }: AppProps): ReactNode {
  const { t, i18n } = useTranslation();
  const [shown, setShown] = useState<ShownView | null>(null);
  const [announcement, setAnnouncement] = useState<Announcement | null>(null);
  const [callFailed, setCallFailed] = useState(false);
  const [speechOn, setSpeechOn] = useState(false);
  const speaker = useMemo(() => createSpeaker(pageSpeechOutput()), []);
  const [, setScrubRenders] = useState(0);
  const lastScreenRef = useRef<KioskScreen | null>(null);

  useEffect(
    () =>
      kiosk.onView((view) => {
        const previousScreen = lastScreenRef.current;
        lastScreenRef.current = view.screen;
        // The next person starts in the kiosk's language; "Take your card out" still speaks to the last one.
        if (NEXT_PERSON.has(view.screen) && previousScreen !== null && !NEXT_PERSON.has(previousScreen)) {
          void i18n.changeLanguage(config.defaultLanguage);
          setSpeechOn(false);
          speaker.stop();
        }
        if (view.screen !== previousScreen) setCallFailed(false);
        setShown({ view, receivedAt: Date.now() });
        const next = announcementFor(view);
        setAnnouncement((current) => (sameAnnouncement(current, next) ? current : next));
      }),
    [kiosk, i18n, config.defaultLanguage, speaker],
  );

  const screen = shown?.view.screen ?? null;
  useEffect(() => {
    if (screen !== null && NO_SESSION.has(screen)) setScrubRenders((count) => count + 1);
  }, [screen]);

  const announced = announcement ? announcementText(announcement, t) : '';
  const language = i18n.resolvedLanguage ?? config.defaultLanguage;
  const otp = shown?.view.screen === 'enrollment' && shown.view.stopped === null ? shown.view.otp : null;
  // Speech mode speaks what the live region says; on the QR screen also the password the person must type.
  // Turned on, it first says how to use the keys, then the current screen.
  const speaking = useRef(false);
  useEffect(() => {
    if (!speechOn) {
      speaking.current = false;
      return;
    }
    const justTurnedOn = !speaking.current;
    speaking.current = true;
    if (justTurnedOn) speaker.say(t('speech.on'), language);
    if (announced === '') return;
    if (justTurnedOn) speaker.sayNext(announced, language);
    else speaker.say(announced, language);
    if (otp !== null && announcement?.keys[0] === 'announce.enrollment') {
      speaker.sayNext(t('enrollment.passwordSpoken', { digits: otpForScreenReader(otp) }), language);
    }
    // Keyed on the text and the switch only: a new announcement (or speech just turned on) is spoken, not every
    // re-render with a new `t` or countdown.
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
  useSpeechKey(screen, speech.turnOn);

  useActivityReporting(kiosk);
  useEscapeToCancel(kiosk, screen);
  useNoticeTimeout(callFailed, setCallFailed);

  const onCallFailed = useCallback((error: KioskError) => {
    console.warn(`kiosk call failed: ${error.code}`);
    if (error.code !== 'not-now') setCallFailed(true);
  }, []);
  const languages = useMemo(() => offeredLanguages(config.languages), [config.languages]);

  return (
    <SpeechContext value={speech}>
      <div className="kiosk">
        <header className="kiosk__header">
          <p className="kiosk__organisation">
            {organisationName(config, i18n.resolvedLanguage) || t('app.defaultOrganisation')}
          </p>
          <ProgressSteps current={screen ? progressStepFor(screen) : null} />
          <LanguagePicker languages={languages} />
        </header>
        <main className="kiosk__main">
          {callFailed ? (
            <p className="notice notice--problem kiosk__call-failed" role="alert">
              {t('app.callFailed')}
            </p>
          ) : null}
          {shown ? renderScreen(shown.view, { kiosk, config, receivedAt: shown.receivedAt, onCallFailed }) : null}
        </main>
        <div className="visually-hidden" aria-live="polite" aria-atomic="true">
          {announced}
        </div>
      </div>
    </SpeechContext>
  );
}

function announcementText(announcement: Announcement, t: TFunction): string {
  const values = {
    ...(announcement.count === undefined ? {} : { count: announcement.count }),
    ...(announcement.matchNumber === undefined ? {} : { number: announcement.matchNumber }),
  };
  return announcement.keys.map((key) => t(key, values)).join(' ');
}

/**
 * On the welcome screen, Enter (with no button focused) turns speech on: the biggest key on a kiosk keypad, found
 * without seeing the screen. The welcome screen also has a visible button for it.
 */
function useSpeechKey(screen: KioskScreen | null, turnOn: () => void): void {
  useEffect(() => {
    if (screen !== 'welcome') return undefined;
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key !== 'Enter' || event.defaultPrevented) return;
      if (event.target instanceof Element && event.target.closest('button, input, dialog')) return;
      event.preventDefault();
      turnOn();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [screen, turnOn]);
}

/** The organisation's name in the shown language when the tenant gives one, else its one name. */
function organisationName(config: KioskConfig, language: string | undefined): string {
  const perLanguage = language === undefined ? undefined : config.displayNames?.[language];
  return perLanguage ?? config.displayName;
}

/** Any key or tap tells main the person is still there (at most once per interval). */
function useActivityReporting(kiosk: KioskApi): void {
  useEffect(() => {
    const report = createThrottle(() => {
      void kiosk.reportActivity().then((result) => {
        if (!result.ok) console.warn(`reportActivity failed: ${result.error.code}`);
      });
    }, ACTIVITY_REPORT_INTERVAL_MS);
    const onInput = (): void => {
      report();
    };
    window.addEventListener('keydown', onInput, { capture: true });
    window.addEventListener('pointerdown', onInput, { capture: true });
    return () => {
      window.removeEventListener('keydown', onInput, { capture: true });
      window.removeEventListener('pointerdown', onInput, { capture: true });
    };
  }, [kiosk]);
}

function useEscapeToCancel(kiosk: KioskApi, screen: KioskScreen | null): void {
  useEffect(() => {
    if (screen === null || !ESCAPE_CANCELS.has(screen)) return undefined;
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      // Escape inside a dialog closes the dialog only.
      if (event.target instanceof Element && event.target.closest('dialog')) return;
      event.preventDefault();
      // A screen that wants to ask first (a live enrollment) takes the event and cancels it.
      const ask = new Event(ASK_BEFORE_CANCEL_EVENT, { cancelable: true });
      if (!window.dispatchEvent(ask)) return;
      void kiosk.cancel().then((result) => {
        if (!result.ok) console.warn(`cancel failed: ${result.error.code}`);
      });
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [kiosk, screen]);
}

function useNoticeTimeout(visible: boolean, setVisible: (visible: boolean) => void): void {
  useEffect(() => {
    if (!visible) return undefined;
    const timer = window.setTimeout(() => setVisible(false), NOTICE_VISIBLE_MS);
    return () => window.clearTimeout(timer);
  }, [visible, setVisible]);
}
