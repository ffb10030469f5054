// The explicit confirmation before the last PIN try: a modal dialog (native <dialog>, so focus is trapped and
// Escape closes it) with "Go back" focused first — the safe choice is the default.
import type { ReactNode } from 'react';
import { useEffect, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';

interface LastTryConfirmProps {
  readonly onConfirm: () => void;
  readonly onBack: () => void;
}

export function LastTryConfirm({ onConfirm, onBack }: LastTryConfirmProps): ReactNode {
  const { t } = useTranslation();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const backRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return undefined;
    dialog.showModal();
    backRef.current?.focus();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog"
      role="alertdialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        onBack();
      }}
    >
      <h2 id={titleId} className="confirm-dialog__title">
        {t('pin.confirmTitle')}
      </h2>
      <p id={bodyId} className="lead">
        {t('pin.confirmBody')}
      </p>
      <div className="confirm-dialog__actions">
        <button ref={backRef} type="button" className="button button--secondary button--large" onClick={onBack}>
          {t('pin.confirmBack')}
        </button>
        <button type="button" className="button button--danger button--large" onClick={onConfirm}>
          {t('pin.confirmSubmit')}
        </button>
      </div>
    </dialog>
  );
}
