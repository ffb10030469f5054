// The live queue: enrollments in progress at every kiosk (person, kiosk, step, age, device), as main follows the
// issuer's event stream and pushes them in the signed-in view (the page never holds the token, so it never opens the
// stream itself). An enrollment waiting for an agent (supervised issuance) opens SupervisionPanel: the phone key's
// fingerprint, large, to compare with what the person reads aloud from their phone, and "affirm". One whose code ran
// out opens ReissuePanel (a new QR + one-time password, the old one dead).
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QueueEntry } from '../../../contracts/agent-api.ts';
import type { ConsoleApi, ConsoleQueue } from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { ReissuePanel } from './ReissuePanel.tsx';
import { SupervisionPanel } from './SupervisionPanel.tsx';

interface QueueSectionProps {
  readonly api: ConsoleApi;
  readonly queue: ConsoleQueue;
}

export function QueueSection({ api, queue }: QueueSectionProps): ReactNode {
  const { t } = useTranslation();
  const [supervising, setSupervising] = useState<string | null>(null);
  const [reissuing, setReissuing] = useState<{ enrollmentId: string; personName: string } | null>(null);
  const entry = queue.entries.find((candidate) => candidate.enrollmentId === supervising) ?? null;
  const device = (e: QueueEntry): string =>
    [e.device.model, e.device.platform].filter((part) => part !== null).join(', ') || t('console.person.unknownDevice');
  if (supervising !== null) return <SupervisionPanel api={api} entry={entry} onBack={() => setSupervising(null)} />;
  if (reissuing !== null) return <ReissuePanel api={api} {...reissuing} onBack={() => setReissuing(null)} />;
  return (
    <ScreenFrame title={t('console.queue.title')}>
      <p className={`notice ${queue.state === 'interrupted' ? 'notice--problem' : 'notice--info'}`} role="status">
        {t(`console.queue.${queue.state}`)}
      </p>
      {queue.state !== 'connecting' && queue.entries.length === 0 ? (
        <p className="lead">{t('console.queue.none')}</p>
      ) : null}
      {queue.entries.length === 0 ? null : (
        <table className="console__table">
          <thead>
            <tr>
              <th scope="col">{t('console.queue.person')}</th>
              <th scope="col">{t('console.queue.kiosk')}</th>
              <th scope="col">{t('console.queue.step')}</th>
              <th scope="col">{t('console.queue.age')}</th>
              <th scope="col">{t('console.person.device')}</th>
              <th scope="col">{t('console.person.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {queue.entries.map((e) => (
              <tr key={e.enrollmentId}>
                <td>
                  <bdi>{e.personName}</bdi>
                </td>
                <td data-label={t('console.queue.kiosk')}>
                  <bdi>{e.kioskId ?? '—'}</bdi>
                </td>
                <td data-label={t('console.queue.step')}>
                  {t(`console.queue.steps.${e.step}`, { defaultValue: e.step })}
                  {e.otpExpired ? <span className="muted"> ({t('console.queue.codeExpired')})</span> : null}
                </td>
                <td data-label={t('console.queue.age')}>
                  {t('console.queue.minutes', { count: Math.floor(e.ageSeconds / 60) })}
                </td>
                <td data-label={t('console.person.device')}>
                  <bdi>{device(e)}</bdi>
                </td>
                <td data-label={t('console.person.actions')}>
                  {/* The flex box inside the cell, not on it: a flex <td> with no button lost its bottom border. */}
                  <div className="console__actions">
                    {e.step === 'awaiting-affirmation' ? (
                      <button
                        type="button"
                        className="button button--primary"
                        onClick={() => setSupervising(e.enrollmentId)}
                      >
                        {t('console.queue.checkKey')}
                      </button>
                    ) : null}
                    {e.otpExpired ? (
                      <button
                        type="button"
                        className="button button--secondary"
                        onClick={() => setReissuing({ enrollmentId: e.enrollmentId, personName: e.personName })}
                      >
                        {t('console.reissue.queueAction')}
                      </button>
                    ) : null}
                    {/* A dash, as in the other empty cells: at 200% text a bare "Actions:" label read as broken. */}
                    {e.step !== 'awaiting-affirmation' && !e.otpExpired ? <span>—</span> : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ScreenFrame>
  );
}
