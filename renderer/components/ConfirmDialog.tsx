// A question before something that cannot be undone: a modal dialog (native <dialog>, so focus is trapped and
// Escape closes it) with the safe choice ("back") focused first.
import type { ReactNode } from 'react';
import { useEffect, useId, useRef } from 'react';

interface ConfirmDialogProps {
  readonly title: string;
  readonly body: string;
  readonly confirmLabel: string;
  readonly backLabel: string;
  readonly onConfirm: () => void;
  readonly onBack: () => void;
}

export function ConfirmDialog(props: ConfirmDialogProps): ReactNode {
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
        props.onBack();
      }}
    >
      <h2 id={titleId} className="confirm-dialog__title">
        {props.title}
      </h2>
      <p id={bodyId} className="lead">
        {props.body}
      </p>
      <div className="confirm-dialog__actions">
        <button ref={backRef} type="button" className="button button--secondary button--large" onClick={props.onBack}>
          {props.backLabel}
        </button>
        <button type="button" className="button button--danger button--large" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
