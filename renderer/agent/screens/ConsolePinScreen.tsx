// The agent's PIN, with the kiosk's keypad and the kiosk's PinBuffer (a fixed Uint8Array in a ref, never a string
// or React state; wiped after submit, on clear and on unmount). Digits also come from the keyboard.
import type { ReactNode } from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsoleApi, ConsoleView } from '../../../contracts/console-api.ts';
import { Keypad } from '../../components/Keypad.tsx';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { PIN_MIN_DIGITS, PinBuffer, digitFromKey } from '../../logic/pin-buffer.ts';

type PinView = Extract<ConsoleView, { screen: 'pin' }>;

export function ConsolePinScreen({ api, view }: { readonly api: ConsoleApi; readonly view: PinView }): ReactNode {
  const { t } = useTranslation();
  const buffer = useRef(new PinBuffer());
  const [digitCount, setDigitCount] = useState(0);
  useEffect(() => {
    const pin = buffer.current;
    return () => pin.wipe();
  }, []);
  const submit = useCallback(() => {
    setDigitCount(0);
    void buffer.current.submitAndWipe((pin) => api.submitPin(pin));
  }, [api]);
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (view.busy) return;
      const digit = digitFromKey(event.key);
      if (digit !== null && buffer.current.pushDigit(digit)) setDigitCount(buffer.current.length);
      else if (event.key === 'Backspace') {
        buffer.current.popDigit();
        setDigitCount(buffer.current.length);
      } else if (event.key === 'Enter' && buffer.current.complete) {
        event.preventDefault();
        submit();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [submit, view.busy]);
  return (
    <ScreenFrame title={t('console.pin.title')} eyebrow={t('console.pin.greeting', { name: view.holderName })}>
      <div className="pin__layout">
        <div className="pin__status">
          <p>{t('console.pin.instructions')}</p>
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
          {view.wrongPin ? (
            <p className="notice notice--problem" role="alert">
              {t('console.pin.wrong')}{' '}
              {view.triesLeft === null ? null : t('console.pin.triesLeft', { count: view.triesLeft })}
            </p>
          ) : null}
          {view.busy ? (
            <p className="muted" role="status">
              {t('console.pin.checking')}
            </p>
          ) : null}
        </div>
        <Keypad
          disabled={view.busy}
          canSubmit={digitCount >= PIN_MIN_DIGITS}
          onDigit={(digit) => {
            if (buffer.current.pushDigit(digit)) setDigitCount(buffer.current.length);
          }}
          onBackspace={() => {
            buffer.current.popDigit();
            setDigitCount(buffer.current.length);
          }}
          onClear={() => {
            buffer.current.wipe();
            setDigitCount(0);
          }}
          onSubmit={submit}
        />
      </div>
    </ScreenFrame>
  );
}
