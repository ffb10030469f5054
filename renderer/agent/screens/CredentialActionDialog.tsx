// Suspend, resume or revoke one credential, or terminate everything of a person (a leaver): a modal dialog (native <dialog>: focus trapped, Escape closes) in two
// steps. First the RFC 5280 reason (revoke) and the note for the audit log; then "Are you sure?" naming the
// credential and the device (or the person). The issuer's answer ends it: done, "sent for approval" (four eyes), or its refusal as a
// sentence, in the dialog, so the agent sees why nothing happened.
import type { FormEvent, ReactNode } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CONSOLE_REVOCATION_REASONS, NOTE_MAX_LENGTH } from '../../../contracts/console-api.ts';
import type { ConsoleApi, ConsoleError, ConsoleRevocationOutcome } from '../../../contracts/console-api.ts';
import type { Result } from '../../../contracts/kiosk-api.ts';
import { refusalKey } from '../console-client.ts';

export type CredentialAction = 'suspend' | 'resume' | 'revoke' | 'terminate';

interface CredentialActionDialogProps {
  readonly api: ConsoleApi;
  readonly action: CredentialAction;
  /** The credential's serial; for `terminate`, the person's card id. */
  readonly targetId: string;
  /** The credential's device; for `terminate`, the person's name. */
  readonly device: string;
  /** null: cancelled or refused; else the sentence saying what happened. */
  readonly onClose: (outcome: string | null) => void;
}

type Step = 'form' | 'confirm' | 'busy';

export function CredentialActionDialog(props: CredentialActionDialogProps): ReactNode {
  const { t } = useTranslation();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [step, setStep] = useState<Step>('form');
  const [reason, setReason] = useState<string>(CONSOLE_REVOCATION_REASONS[0]);
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return undefined;
    dialog.showModal();
    return () => dialog.close();
  }, []);

  const onNext = (event: FormEvent): void => {
    event.preventDefault();
    if (note.trim().length === 0) return setProblem(t('console.action.noteMissing'));
    setProblem(null);
    setStep('confirm');
  };
  const act = async (): Promise<void> => {
    setStep('busy');
    const serial = props.targetId;
    const text = note.trim();
    let answer: Result<ConsoleRevocationOutcome | 'terminated' | 'suspended' | 'resumed', ConsoleError>;
    if (props.action === 'terminate') {
      const outcome = await props.api.terminatePerson(serial, reason, text);
      answer = outcome.ok && outcome.value === 'revoked' ? { ok: true, value: 'terminated' } : outcome;
    } else if (props.action === 'revoke') answer = await props.api.revokeCredential(serial, reason, text);
    else if (props.action === 'suspend') answer = mapDone(await props.api.suspendCredential(serial, text), 'suspended');
    else answer = mapDone(await props.api.resumeCredential(serial, text), 'resumed');
    if (!answer.ok) {
      setProblem(t(refusalKey(answer.error)));
      setStep('form');
      return;
    }
    props.onClose(
      t(answer.value === 'sent-for-approval' ? 'console.action.sentForApproval' : `console.action.${answer.value}`),
    );
  };
  const confirmText =
    props.action === 'terminate'
      ? t('console.action.confirmTerminate', { name: props.device, reason: t(`console.reason.${reason}`) })
      : props.action === 'revoke'
        ? t('console.action.confirmRevoke', {
            serial: props.targetId,
            device: props.device,
            reason: t(`console.reason.${reason}`),
          })
        : t(props.action === 'suspend' ? 'console.action.confirmSuspend' : 'console.action.confirmResume', {
            serial: props.targetId,
            device: props.device,
          });
  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog console__dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (step !== 'busy') props.onClose(null);
      }}
    >
      <h2 id={titleId} className="confirm-dialog__title">
        {step === 'form' ? t(`console.action.${props.action}Title`) : t('console.action.confirmTitle')}
      </h2>
      {problem === null ? null : (
        <p className="notice notice--problem" role="alert">
          {problem}
        </p>
      )}
      {step === 'form' ? (
        <form onSubmit={onNext} className="console__form">
          {props.action === 'revoke' || props.action === 'terminate' ? (
            <>
              <label htmlFor={`${titleId}-reason`}>{t('console.action.reason')}</label>
              <select
                id={`${titleId}-reason`}
                className="console__input"
                value={reason}
                onChange={(event) => setReason(event.target.value)}
              >
                {CONSOLE_REVOCATION_REASONS.map((name) => (
                  <option key={name} value={name}>
                    {t(`console.reason.${name}`)}
                  </option>
                ))}
              </select>
            </>
          ) : null}
          <label htmlFor={`${titleId}-note`}>{t('console.action.note')}</label>
          <textarea
            id={`${titleId}-note`}
            className="console__input"
            rows={3}
            maxLength={NOTE_MAX_LENGTH}
            value={note}
            onChange={(event) => setNote(event.target.value.replace(/[\r\n]+/g, ' '))}
          />
          <div className="confirm-dialog__actions">
            <button
              type="button"
              className="button button--secondary button--large"
              onClick={() => props.onClose(null)}
            >
              {t('console.action.cancel')}
            </button>
            <button type="submit" className="button button--primary button--large">
              {t('console.action.next')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <p className="lead">{confirmText}</p>
          <div className="confirm-dialog__actions">
            <button
              type="button"
              className="button button--secondary button--large"
              disabled={step === 'busy'}
              onClick={() => setStep('form')}
            >
              {t('console.action.back')}
            </button>
            <button
              type="button"
              className="button button--danger button--large"
              disabled={step === 'busy'}
              onClick={() => void act()}
            >
              {t('console.action.confirm')}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}

function mapDone<T extends string>(answer: Result<void, ConsoleError>, done: T): Result<T, ConsoleError> {
  return answer.ok ? { ok: true, value: done } : answer;
}
