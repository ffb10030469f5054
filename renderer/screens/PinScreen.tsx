// PIN entry. The digits live in a PinBuffer (a fixed Uint8Array in a ref), never in React state or a string;
// state holds only how many there are, for the dots. The buffer is wiped after submitPin settles, when the
// person clears it, and when this screen unmounts (card removed, cancel, session over).
// `PinEntry` is the screen without the kiosk: "Set up this PC" (renderer/pc/) uses it with its own calls.
import type { ReactNode } from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { Keypad } from '../components/Keypad.tsx';
import { LastTryConfirm } from '../components/LastTryConfirm.tsx';
import { PIN_MIN_DIGITS, PinBuffer, digitFromKey } from '../logic/pin-buffer.ts';
import { useSpeech } from '../speech-context.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function PinScreen({ view, kiosk, onCallFailed }: ScreenProps<'pin'>): ReactNode {
  return (
    <PinEntry
      view={view}
      submit={(pin, confirmLastTry) => settle(kiosk.submitPin(pin, { confirmLastTry }), onCallFailed)}
      cancel={() => void settle(kiosk.cancel(), onCallFailed)}
    />
  );
}

/** What the PIN entry shows: the kiosk's PIN view fields (kiosk-api.ts); "Set up this PC" sends the same. */
export type PinPrompt = Pick<
  ScreenProps<'pin'>['view'],
  'holderName' | 'triesLeft' | 'lastTryWarning' | 'lastAttempt' | 'busy'
>;

interface PinEntryProps {
  readonly view: PinPrompt;
  /** Sends the PIN; the promise settles once main has it (the buffer is wiped then). */
  readonly submit: (pin: Uint8Array, confirmLastTry: boolean) => Promise<unknown>;
  readonly cancel: () => void;
}

export function PinEntry({ view, submit: sendPin, cancel }: PinEntryProps): ReactNode {
  const { t } = useTranslation();
  const bufferRef = useRef<PinBuffer>(null);
  bufferRef.current ??= new PinBuffer();
  const [digitCount, setDigitCount] = useState(0);
  const [submitting, setSubmitting] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const disabled = view.busy || submitting;

  useEffect(() => {
    const buffer = bufferRef.current;
    return () => buffer?.wipe();
  }, []);

  const buffer = bufferRef.current;
  const sync = useCallback(() => setDigitCount(buffer.length), [buffer]);

  const addDigit = useCallback(
    (digit: number) => {
      if (buffer.pushDigit(digit)) sync();
    },
    [buffer, sync],
  );
  const backspace = useCallback(() => {
    buffer.popDigit();
    sync();
  }, [buffer, sync]);
  const clear = useCallback(() => {
    buffer.wipe();
    sync();
  }, [buffer, sync]);

  const send = useCallback(
    async (confirmLastTry: boolean) => {
      setConfirming(false);
      setSubmitting(true);
      try {
        await buffer.submitAndWipe((pin) => sendPin(pin, confirmLastTry));
      } finally {
        sync();
        setSubmitting(false);
      }
    },
    [buffer, sendPin, sync],
  );

  const submit = useCallback(() => {
    if (!buffer.complete || disabled) return;
    if (view.lastTryWarning) setConfirming(true);
    else void send(false);
  }, [buffer, disabled, send, view.lastTryWarning]);

  useSpokenDigitCount(digitCount, (count) => t('pin.digitsEntered', { count }));

  usePinKeyboard({ active: !disabled && !confirming, addDigit, backspace, clear, submit, hasDigits: digitCount > 0 });

  const triesText = pinStatusText(view, t);
  return (
    <ScreenFrame
      eyebrow={view.holderName ? t('pin.greeting', { name: view.holderName }) : t('pin.greetingNoName')}
      title={t('pin.title')}
      onCancel={cancel}
      className="pin"
    >
      <div className="pin__layout">
        <div className="pin__status">
          <p>{t('pin.instructions')}</p>
          <div className="pin__dots" aria-live="polite" aria-atomic="true">
            <span className="visually-hidden">{t('pin.digitsEntered', { count: digitCount })}</span>
            {Array.from({ length: Math.max(PIN_MIN_DIGITS, digitCount) }, (_, index) => (
              <span
                key={index}
                aria-hidden="true"
                className={`pin__dot${index < digitCount ? ' pin__dot--filled' : ''}`}
              />
            ))}
          </div>
          {triesText ? (
            <p className={`notice ${view.lastAttempt === 'wrong' ? 'notice--problem' : 'notice--info'}`}>{triesText}</p>
          ) : null}
          {view.lastAttempt === 'signed-out' ? <p className="notice notice--warning">{t('pin.signedOut')}</p> : null}
          {view.lastTryWarning ? <p className="notice notice--warning">{t('pin.lastTryWarning')}</p> : null}
          {disabled ? (
            <p className="muted" role="status">
              {t('pin.checking')}
            </p>
          ) : null}
        </div>
        <Keypad
          disabled={disabled || confirming}
          canSubmit={digitCount >= PIN_MIN_DIGITS}
          onDigit={addDigit}
          onBackspace={backspace}
          onClear={clear}
          onSubmit={submit}
        />
      </div>
      {confirming ? <LastTryConfirm onConfirm={() => void send(true)} onBack={() => setConfirming(false)} /> : null}
    </ScreenFrame>
  );
}

type Translate = ReturnType<typeof useTranslation>['t'];

/** Speech mode says how many digits are entered after each key (never which): "3 digits entered". */
function useSpokenDigitCount(count: number, text: (count: number) => string): void {
  const speech = useSpeech();
  const previous = useRef(count);
  useEffect(() => {
    if (previous.current === count) return;
    previous.current = count;
    speech.say(text(count));
  }, [count, speech, text]);
}

function pinStatusText(view: PinPrompt, t: Translate): string | null {
  if (view.lastAttempt === 'wrong') {
    return view.triesLeft === null ? t('pin.wrongUnknownTries') : t('pin.wrong', { count: view.triesLeft });
  }
  return view.triesLeft === null ? null : t('pin.triesLeft', { count: view.triesLeft });
}

interface PinKeyboardHandlers {
  readonly active: boolean;
  readonly hasDigits: boolean;
  readonly addDigit: (digit: number) => void;
  readonly backspace: () => void;
  readonly clear: () => void;
  readonly submit: () => void;
}

/**
 * Physical keyboard: digits (top row and numeric keypad), Backspace, Delete (clear), Enter (OK) and Escape
 * (clears the digits; with nothing typed, Escape falls through to the app shell, which starts over).
 */
function usePinKeyboard(handlers: PinKeyboardHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      const current = latest.current;
      if (!current.active || event.altKey || event.ctrlKey || event.metaKey) return;
      const digit = digitFromKey(event.key);
      if (digit !== null) {
        event.preventDefault();
        current.addDigit(digit);
        return;
      }
      switch (event.key) {
        case 'Backspace':
          event.preventDefault();
          current.backspace();
          return;
        case 'Delete':
          event.preventDefault();
          current.clear();
          return;
        case 'Escape':
          if (current.hasDigits) {
            event.preventDefault();
            current.clear();
          }
          return;
        case 'Enter':
          // On a focused button Enter presses that button; only elsewhere does it mean OK.
          if (event.target instanceof HTMLButtonElement) return;
          event.preventDefault();
          current.submit();
          return;
        default:
          return;
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
}
