// "Enter the code shown on your phone": a text field that formats as XXXX-XXXX while typing (any case, the
// dash is added by itself, characters outside the code alphabet are dropped with a hint), plus on-screen letter
// keys for touch-only kiosks.
import type { ReactNode } from 'react';
import type { RefObject } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ScreenFrame } from '../components/ScreenFrame.tsx';
import { keepFocusOnTap } from '../components/Keypad.tsx';
import { useFocusOnMount } from '../hooks.ts';
import { USER_CODE_ALPHABET, USER_CODE_LENGTH } from '../../contracts/user-code.ts';
import { appendUserCodeCharacter, formatUserCodeDisplay, parseUserCodeInput } from '../logic/user-code.ts';
import type { ScreenProps } from './screen-props.ts';
import { settle } from './screen-props.ts';

export function UserCodeScreen({ view, kiosk, onCallFailed }: ScreenProps<'user-code'>): ReactNode {
  const { t } = useTranslation();
  const [compact, setCompact] = useState('');
  const [rejected, setRejected] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const inputRef = useFocusOnMount<HTMLInputElement>();
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const disabled = view.busy || submitting;
  const complete = compact.length === USER_CODE_LENGTH;

  // A disabled field loses focus; give it back when the check is over so typing can go on.
  useEffect(() => {
    if (!disabled) inputRef.current?.focus();
  }, [disabled, inputRef]);

  const submit = async (): Promise<void> => {
    if (!complete || disabled) return;
    setSubmitting(true);
    try {
      await settle(kiosk.submitUserCode(formatUserCodeDisplay(compact)), onCallFailed);
    } finally {
      setSubmitting(false);
    }
  };
  const pressLetter = (letter: string): void => {
    setCompact((previous) => appendUserCodeCharacter(previous, letter));
    setRejected(false);
  };
  const backspace = (): void => setCompact((previous) => previous.slice(0, -1));
  const clear = (): void => {
    setCompact('');
    setRejected(false);
  };

  // A refused code is emptied, so the next one is typed afresh (not appended to, or corrected in, the old one).
  useEffect(() => {
    if (view.error !== 'none') setCompact('');
  }, [view.error, view.busy]);

  useTypingOutsideTheField(inputRef, !disabled, (key) => {
    if (key === 'Backspace') backspace();
    else {
      const next = appendUserCodeCharacter(compact, key);
      setRejected(next === compact && compact.length < USER_CODE_LENGTH);
      setCompact(next);
    }
  });

  const errorText = view.error === 'none' ? null : t(`userCode.error.${view.error}`);
  const describedBy = [hintId, errorText ? errorId : ''].filter(Boolean).join(' ');
  return (
    <ScreenFrame
      eyebrow={view.holderName ? t('userCode.greeting', { name: view.holderName }) : undefined}
      title={t('userCode.title')}
      focusHeading={false}
      onCancel={() => void settle(kiosk.cancel(), onCallFailed)}
      className="user-code"
    >
      <p>{t('userCode.instructions')}</p>
      <form
        className="user-code__form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label htmlFor={inputId} className="field-label">
          {t('userCode.fieldLabel')}
        </label>
        <div className="user-code__row">
          <input
            id={inputId}
            ref={inputRef}
            className={`user-code__input${errorText ? ' user-code__input--error' : ''}`}
            value={formatUserCodeDisplay(compact)}
            onChange={(event) => {
              const parsed = parseUserCodeInput(event.target.value);
              setCompact(parsed.compact);
              setRejected(parsed.rejectedCharacters);
            }}
            inputMode="text"
            autoComplete="off"
            autoCorrect="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={12}
            aria-invalid={errorText ? true : undefined}
            aria-describedby={describedBy}
            disabled={disabled}
          />
          <button type="submit" className="button button--primary button--large" disabled={!complete || disabled}>
            {t('userCode.submit')}
          </button>
        </div>
        <p id={hintId} className={`field-hint${rejected ? ' field-hint--emphasis' : ''}`}>
          {t('userCode.onlyTheseLetters', { letters: USER_CODE_ALPHABET.split('').join(' ') })}
        </p>
        {errorText ? (
          <p id={errorId} className="notice notice--problem">
            {errorText}
          </p>
        ) : null}
        {disabled ? (
          <p className="muted" role="status">
            {t('userCode.checking')}
          </p>
        ) : null}
      </form>
      <div className="letter-keys" role="group" aria-label={t('userCode.keyboardLabel')}>
        {USER_CODE_ALPHABET.split('').map((letter) => (
          <button
            key={letter}
            type="button"
            className="letter-keys__key"
            disabled={disabled || complete}
            aria-label={t('userCode.letterLabel', { letter })}
            onMouseDown={keepFocusOnTap}
            onClick={() => pressLetter(letter)}
          >
            {letter}
          </button>
        ))}
        <button
          type="button"
          className="letter-keys__key letter-keys__key--wide"
          disabled={disabled || compact.length === 0}
          aria-label={t('userCode.backspace')}
          onMouseDown={keepFocusOnTap}
          onClick={backspace}
        >
          <span aria-hidden="true">⌫</span>
        </button>
        <button
          type="button"
          className="letter-keys__key letter-keys__key--wide"
          disabled={disabled || compact.length === 0}
          aria-label={t('userCode.clearLabel')}
          onMouseDown={keepFocusOnTap}
          onClick={clear}
        >
          {t('userCode.clear')}
        </button>
      </div>
    </ScreenFrame>
  );
}

/**
 * After a tap on an on-screen letter the focus is on that button; typing on a physical keyboard should still
 * reach the code. Single characters and Backspace pressed outside the field are passed to `onKey`.
 */
function useTypingOutsideTheField(
  inputRef: RefObject<HTMLInputElement | null>,
  active: boolean,
  onKey: (key: string) => void,
): void {
  const latest = useRef(onKey);
  latest.current = onKey;
  useEffect(() => {
    if (!active) return undefined;
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.target === inputRef.current || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key.length !== 1 && event.key !== 'Backspace') return;
      if (event.key === ' ') return; // Space presses the focused button
      event.preventDefault();
      latest.current(event.key);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [active, inputRef]);
}
