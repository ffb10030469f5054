// One person: their card and each derived credential (device, state, expiry, renewal due), with the actions its
// state allows. An action opens CredentialActionDialog (reason, note, then a confirmation step). Their enrollments
// still waiting for the phone are listed with "New code" (ReissuePanel).
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentCredential, PersonRecord } from '../../../contracts/agent-api.ts';
import type { ConsoleApi } from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import type { CredentialAction } from './CredentialActionDialog.tsx';
import { CredentialActionDialog } from './CredentialActionDialog.tsx';
import { ReissuePanel } from './ReissuePanel.tsx';

interface PersonDetailProps {
  readonly api: ConsoleApi;
  readonly person: PersonRecord;
  readonly onBack: () => void;
  /** After an action: the person is looked up again, so the table shows the issuer's state. */
  readonly onChanged: () => void;
}

export function PersonDetail({ api, person, onBack, onChanged }: PersonDetailProps): ReactNode {
  const { t, i18n } = useTranslation();
  const [acting, setActing] = useState<{ action: CredentialAction; credential: AgentCredential } | null>(null);
  const [terminating, setTerminating] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [reissuing, setReissuing] = useState<string | null>(null);
  const date = (iso: string): string =>
    new Date(iso).toLocaleDateString(i18n.resolvedLanguage, { year: 'numeric', month: 'long', day: 'numeric' });
  const device = (credential: AgentCredential): string =>
    [credential.device.model, credential.device.platform].filter((part) => part !== null).join(', ') ||
    t('console.person.unknownDevice');
  const actionButton = (action: CredentialAction, credential: AgentCredential): ReactNode => (
    <button
      type="button"
      className={`button ${action === 'revoke' ? 'button--danger' : 'button--secondary'}`}
      onClick={() => {
        setDone(null);
        setActing({ action, credential });
      }}
    >
      {t(`console.person.${action}`)}
    </button>
  );
  if (reissuing !== null)
    return (
      <ReissuePanel
        api={api}
        enrollmentId={reissuing}
        personName={person.name}
        onBack={() => {
          setReissuing(null);
          onChanged();
        }}
      />
    );
  return (
    <ScreenFrame title={person.name} eyebrow={t('console.person.card')}>
      <button type="button" className="button button--quiet console__back" onClick={onBack}>
        {t('console.person.back')}
      </button>
      <dl className="console__facts">
        <dt>{t('console.person.uuid')}</dt>
        <dd>{person.uuid ?? '—'}</dd>
        <dt>{t('console.person.cardSerial')}</dt>
        <dd>{person.cardSerialHex}</dd>
        <dt>{t('console.person.cardExpires')}</dt>
        <dd>{date(person.cardNotAfter)}</dd>
      </dl>
      {done === null ? null : (
        <p className="notice notice--info" role="status">
          {done}
        </p>
      )}
      <h2 className="console__subtitle">{t('console.person.credentials')}</h2>
      {person.credentials.length === 0 ? (
        <p className="lead">{t('console.person.noCredentials')}</p>
      ) : (
        <table className="console__table">
          <thead>
            <tr>
              <th scope="col">{t('console.person.device')}</th>
              <th scope="col">{t('console.person.state')}</th>
              <th scope="col">{t('console.person.expires')}</th>
              <th scope="col">{t('console.person.renewalDue')}</th>
              <th scope="col">{t('console.person.serial')}</th>
              <th scope="col">{t('console.person.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {person.credentials.map((credential) => (
              <tr key={credential.serialNumberHex}>
                <td>
                  <bdi>{device(credential)}</bdi>
                </td>
                <td
                  className={`console__state console__state--${credential.state}`}
                  data-label={t('console.person.state')}
                >
                  {t(`console.state.${credential.state}`)}
                </td>
                <td data-label={t('console.person.expires')}>{date(credential.notAfter)}</td>
                <td data-label={t('console.person.renewalDue')}>{date(credential.renewalDueAt)}</td>
                <td className="console__serial" data-label={t('console.person.serial')}>
                  {credential.serialNumberHex}
                </td>
                <td data-label={t('console.person.actions')}>
                  <div className="console__actions">
                    {credential.state === 'active' ? actionButton('suspend', credential) : null}
                    {credential.state === 'suspended' ? actionButton('resume', credential) : null}
                    {credential.state === 'active' || credential.state === 'suspended'
                      ? actionButton('revoke', credential)
                      : null}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <WaitingEnrollments person={person} onReissue={setReissuing} />
      {person.credentials.some((c) => c.state === 'active' || c.state === 'suspended') ? (
        <button
          type="button"
          className="button button--danger console__terminate"
          onClick={() => {
            setDone(null);
            setTerminating(true);
          }}
        >
          {t('console.person.terminate')}
        </button>
      ) : null}
      {terminating ? (
        <CredentialActionDialog
          api={api}
          action="terminate"
          targetId={person.cardId}
          device={person.name}
          onClose={(outcome) => {
            setTerminating(false);
            if (outcome !== null) {
              setDone(outcome);
              onChanged();
            }
          }}
        />
      ) : null}
      {acting === null ? null : (
        <CredentialActionDialog
          api={api}
          action={acting.action}
          targetId={acting.credential.serialNumberHex}
          device={device(acting.credential)}
          onClose={(outcome) => {
            setActing(null);
            if (outcome !== null) {
              setDone(outcome);
              onChanged();
            }
          }}
        />
      )}
    </ScreenFrame>
  );
}

/** The person's enrollments waiting for their phone, each with "New code" (the old password dies). */
function WaitingEnrollments(props: { person: PersonRecord; onReissue: (enrollmentId: string) => void }): ReactNode {
  const { t, i18n } = useTranslation();
  if (props.person.waitingEnrollments.length === 0) return null;
  const when = (iso: string): string =>
    new Date(iso).toLocaleString(i18n.resolvedLanguage, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <>
      <h2 className="console__subtitle">{t('console.reissue.waiting')}</h2>
      <ul className="console__requests">
        {props.person.waitingEnrollments.map((enrollment) => (
          <li key={enrollment.enrollmentId} className="console__request">
            <p>
              {t('console.reissue.startedAt', { time: when(enrollment.startedAt), kiosk: enrollment.kioskId ?? '—' })}
              {' · '}
              <strong>{t(enrollment.otpExpired ? 'console.reissue.codeRanOut' : 'console.reissue.codeValid')}</strong>
            </p>
            <button
              type="button"
              className="button button--secondary console__back"
              onClick={() => props.onReissue(enrollment.enrollmentId)}
            >
              {t('console.reissue.action')}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
