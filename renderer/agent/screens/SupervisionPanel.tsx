// Supervised issuance (tenant setting `supervision: agent-affirms`): the fingerprint of the key the person's phone
// asked a certificate for, large and in its four groups so the agent and the person can read it aloud to each other.
// The agent affirms only when it matches the phone's screen; the issuer then issues on the phone's next try. The
// issuer refuses an affirmation of the agent's own card (and a second one, and a changed key): each is a sentence.
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QueueEntry } from '../../../contracts/agent-api.ts';
import { NOTE_MAX_LENGTH } from '../../../contracts/console-api.ts';
import type { ConsoleApi } from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { refusalKey } from '../console-client.ts';

interface SupervisionPanelProps {
  readonly api: ConsoleApi;
  /** null: the enrollment left the queue (completed, failed, or another agent's affirmation let it finish). */
  readonly entry: QueueEntry | null;
  readonly onBack: () => void;
}

export function SupervisionPanel({ api, entry, onBack }: SupervisionPanelProps): ReactNode {
  const { t } = useTranslation();
  const [note, setNote] = useState('');
  const [message, setMessage] = useState<{ text: string; problem: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const fingerprint = entry?.keyFingerprint ?? null;

  const affirm = async (): Promise<void> => {
    if (entry === null || fingerprint === null) return;
    const text = note.trim();
    if (text.length === 0) return setMessage({ text: t('console.action.noteMissing'), problem: true });
    setBusy(true);
    const answer = await api.affirmEnrollment(entry.enrollmentId, fingerprint, text);
    setBusy(false);
    if (answer.ok) return setMessage({ text: t('console.supervise.affirmed'), problem: false });
    const ownCard = answer.error.code === 'refused' && answer.error.refusal === 'own-card';
    setMessage({ text: t(ownCard ? 'console.supervise.ownCard' : refusalKey(answer.error)), problem: true });
  };

  return (
    <ScreenFrame title={t('console.supervise.title')} eyebrow={entry?.personName ?? ''}>
      <button type="button" className="button button--quiet console__back" onClick={onBack}>
        {t('console.supervise.back')}
      </button>
      {message === null ? null : (
        <p className={`notice ${message.problem ? 'notice--problem' : 'notice--info'}`} role="status">
          {message.text}
        </p>
      )}
      {entry === null || fingerprint === null ? (
        <p className="lead">{t('console.supervise.gone')}</p>
      ) : (
        <>
          <p className="lead">{t('console.supervise.instructions', { name: entry.personName })}</p>
          <p className="console__fingerprint" aria-label={t('console.supervise.fingerprint')}>
            {fingerprint.split('-').map((group, index) => (
              <span key={index} className="console__fingerprint-group">
                {group}
              </span>
            ))}
          </p>
          <form
            className="console__form"
            onSubmit={(event) => {
              event.preventDefault();
              void affirm();
            }}
          >
            <label htmlFor="supervise-note">{t('console.action.note')}</label>
            <input
              id="supervise-note"
              className="console__input"
              maxLength={NOTE_MAX_LENGTH}
              value={note}
              onChange={(event) => setNote(event.target.value)}
            />
            <div className="confirm-dialog__actions">
              <button type="submit" className="button button--primary" disabled={busy || entry.affirmed}>
                {t('console.supervise.affirm')}
              </button>
            </div>
          </form>
        </>
      )}
    </ScreenFrame>
  );
}
