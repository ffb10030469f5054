// Revocations awaiting approval (four eyes): each request with who asked, why and when; an approver approves or
// rejects it with a note. Anyone else sees the list and the sentence that only an approver decides (the issuer checks
// the role again, and its refusal is shown as a sentence too).
import type { ReactNode } from 'react';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RevocationRequestView } from '../../../contracts/agent-api.ts';
import { NOTE_MAX_LENGTH } from '../../../contracts/console-api.ts';
import type { ConsoleApi } from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { refusalKey } from '../console-client.ts';

interface ApprovalsSectionProps {
  readonly api: ConsoleApi;
  readonly isApprover: boolean;
}

export function ApprovalsSection({ api, isApprover }: ApprovalsSectionProps): ReactNode {
  const { t, i18n } = useTranslation();
  const [requests, setRequests] = useState<readonly RevocationRequestView[] | null>(null);
  const [message, setMessage] = useState<{ text: string; problem: boolean } | null>(null);
  const [notes, setNotes] = useState<Readonly<Record<string, string>>>({});

  const load = useCallback(async (): Promise<void> => {
    const answer = await api.revocationRequests();
    if (answer.ok) setRequests(answer.value);
    else setMessage({ text: t(refusalKey(answer.error)), problem: true });
  }, [api, t]);
  useEffect(() => {
    void load();
  }, [load]);

  const decide = async (request: RevocationRequestView, decision: 'approve' | 'reject'): Promise<void> => {
    const note = (notes[request.requestId] ?? '').trim();
    if (note.length === 0) return setMessage({ text: t('console.action.noteMissing'), problem: true });
    const answer =
      decision === 'approve'
        ? await api.approveRevocation(request.requestId, note)
        : await api.rejectRevocation(request.requestId, note);
    setMessage(
      answer.ok
        ? {
            text: t(decision === 'approve' ? 'console.approvals.approved' : 'console.approvals.rejected'),
            problem: false,
          }
        : { text: t(refusalKey(answer.error)), problem: true },
    );
    await load();
  };

  return (
    <ScreenFrame title={t('console.approvals.title')}>
      <button type="button" className="button button--quiet" onClick={() => void load()}>
        {t('console.approvals.refresh')}
      </button>
      {isApprover ? null : <p className="notice notice--info">{t('console.approvals.notApprover')}</p>}
      {message === null ? null : (
        <p className={`notice ${message.problem ? 'notice--problem' : 'notice--info'}`} role="status">
          {message.text}
        </p>
      )}
      {requests !== null && requests.length === 0 ? <p className="lead">{t('console.approvals.none')}</p> : null}
      <ul className="console__requests">
        {(requests ?? []).map((request) => (
          <li key={request.requestId} className="console__request">
            <p>
              <strong>
                {t('console.approvals.request', {
                  person: request.personName,
                  target: request.target.id,
                  // The reason in the agent's words when the console knows it, the RFC 5280 name otherwise.
                  reason: i18n.exists(`console.reason.${request.reason}`)
                    ? t(`console.reason.${request.reason}`)
                    : request.reason,
                })}
              </strong>
            </p>
            <p className="muted">
              {t('console.approvals.requestedBy', {
                agent: request.requestedBy,
                date: new Date(request.requestedAt).toLocaleString(i18n.resolvedLanguage),
                note: request.note,
              })}
            </p>
            <label htmlFor={`note-${request.requestId}`}>{t('console.approvals.note')}</label>
            <input
              id={`note-${request.requestId}`}
              className="console__input"
              maxLength={NOTE_MAX_LENGTH}
              value={notes[request.requestId] ?? ''}
              onChange={(event) => setNotes({ ...notes, [request.requestId]: event.target.value })}
            />
            <div className="confirm-dialog__actions">
              <button type="button" className="button button--secondary" onClick={() => void decide(request, 'reject')}>
                {t('console.approvals.reject')}
              </button>
              <button type="button" className="button button--primary" onClick={() => void decide(request, 'approve')}>
                {t('console.approvals.approve')}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </ScreenFrame>
  );
}
