// The large on-screen PIN keypad: digits 1–9, clear, 0, delete, and OK. Every key is a real button with an
// accessible name, so it works with a touch screen, a mouse, a keyboard (Tab + Enter/Space) and a screen reader.
import type { MouseEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

interface KeypadProps {
  readonly disabled: boolean;
  readonly canSubmit: boolean;
  readonly onDigit: (digit: number) => void;
  readonly onBackspace: () => void;
  readonly onClear: () => void;
  readonly onSubmit: () => void;
}

const DIGIT_ROWS: readonly (readonly number[])[] = [
  [1, 2, 3],
  [4, 5, 6],
  [7, 8, 9],
];

/**
 * A tap or click must not move focus onto the key: focus stays where it was, so a physical Enter afterwards
 * still means OK instead of pressing the last digit again. Keyboard users still Tab onto keys as usual.
 */
export const keepFocusOnTap = (event: MouseEvent): void => event.preventDefault();

export function Keypad(props: KeypadProps): ReactNode {
  const { t } = useTranslation();
  const digitButton = (digit: number): ReactNode => (
    <button
      key={digit}
      type="button"
      className="keypad__key"
      disabled={props.disabled}
      onMouseDown={keepFocusOnTap}
      onClick={() => props.onDigit(digit)}
    >
      {digit}
    </button>
  );
  return (
    <div className="keypad" role="group" aria-label={t('pin.keypadLabel')}>
      {DIGIT_ROWS.map((row) => row.map(digitButton))}
      <button
        type="button"
        className="keypad__key keypad__key--secondary"
        disabled={props.disabled}
        aria-label={t('pin.clearLabel')}
        onMouseDown={keepFocusOnTap}
        onClick={props.onClear}
      >
        {t('pin.clear')}
      </button>
      {digitButton(0)}
      <button
        type="button"
        className="keypad__key keypad__key--secondary"
        disabled={props.disabled}
        aria-label={t('pin.backspace')}
        onMouseDown={keepFocusOnTap}
        onClick={props.onBackspace}
      >
        <span aria-hidden="true">⌫</span>
      </button>
      <button
        type="button"
        className="keypad__key keypad__key--ok button--primary"
        disabled={props.disabled || !props.canSubmit}
        aria-label={t('pin.okLabel')}
        onClick={props.onSubmit}
      >
        {t('pin.ok')}
      </button>
    </div>
  );
}
