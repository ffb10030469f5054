// Re-issue of a person's code (MyID's "re-send the one-time code", with a reason): the agent gives a note, confirms,
// and the issuer replaces the enrollment's one-time password; the old one dies at once. The new QR code and
// password are shown large, for the person to scan and for the agent to read aloud, with a countdown to their expiry.
// The password lives only in this component's state: it goes when the agent leaves this screen ("Done", "Back",
// another section) and when the console locks (the card pulled, the session's end), which unmount it.
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NOTE_MAX_LENGTH } from '../../../contracts/console-api.ts';
import type { ConsoleApi, ConsoleError, ConsoleReissuedCode } from '../../../contracts/console-api.ts';
import { QrCodeSvg } from '../../components/QrCodeSvg.tsx';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { useNow } from '../../hooks.ts';
import { deadlineFromIso, minutesAndSeconds, secondsLeftUntil } from '../../logic/countdown.ts';
import { formatOtpForDisplay, otpForScreenReader } from '../../logic/otp.ts';
import { refusalKey } from '../console-client.ts';

interface ReissuePanelProps {
  readonly api: ConsoleApi;
  readonly enrollmentId: string;
  readonly personName: string;
  readonly onBack: () => void;
}

type Stage = { readonly step: 'form' } | { readonly step: 'confirm' } | { readonly step: 'busy' };

export function ReissuePanel({ api, enrollmentId, personName, onBack }: ReissuePanelProps): ReactNode {
  const { t } = useTranslation();
  const [stage, setStage] = useState<Stage>({ step: 'form' });
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [code, setCode] = useState<ConsoleReissuedCode | null>(null);

  const reissue = async (): Promise<void> => {
    setStage({ step: 'busy' });
    const answer = await api.reissueCode(enrollmentId, note.trim());
    setStage({ step: 'form' });
    if (answer.ok) return setCode(answer.value);
    setProblem(refusalSentence(t, answer.error));
  };

  if (code !== null) return <ReissuedCode code={code} personName={personName} onDone={onBack} />;
  return (
    <ScreenFrame title={t('console.reissue.title')} eyebrow={personName}>
      <button type="button" className="button button--quiet console__back" onClick={onBack}>
        {t('console.reissue.back')}
      </button>
      {problem === null ? null : (
        <p className="notice notice--problem" role="alert">
          {problem}
        </p>
      )}
      {stage.step === 'form' ? (
        <form
          className="console__form"
          onSubmit={(event) => {
            event.preventDefault();
            if (note.trim().length === 0) return setProblem(t('console.action.noteMissing'));
            setProblem(null);
            setStage({ step: 'confirm' });
          }}
        >
          <p className="lead">{t('console.reissue.explain', { name: personName })}</p>
          <label htmlFor="reissue-note">{t('console.reissue.note')}</label>
          <textarea
            id="reissue-note"
            className="console__input"
            maxLength={NOTE_MAX_LENGTH}
            value={note}
            onChange={(event) => setNote(event.target.value)}
          />
          <div className="confirm-dialog__actions">
            <button type="submit" className="button button--primary">
              {t('console.reissue.continue')}
            </button>
          </div>
        </form>
      ) : (
        <div className="console__form" role="group" aria-labelledby="reissue-confirm-title">
          <h2 id="reissue-confirm-title" className="console__subtitle">
            {t('console.reissue.confirmTitle')}
          </h2>
          <p className="lead">{t('console.reissue.confirmBody', { name: personName })}</p>
          <div className="confirm-dialog__actions">
            <button
              type="button"
              className="button button--primary"
              disabled={stage.step === 'busy'}
              onClick={() => void reissue()}
            >
              {stage.step === 'busy' ? t('console.reissue.busy') : t('console.reissue.confirm')}
            </button>
            <button
              type="button"
              className="button button--secondary"
              disabled={stage.step === 'busy'}
              onClick={() => setStage({ step: 'form' })}
            >
              {t('console.reissue.back')}
            </button>
          </div>
        </div>
      )}
    </ScreenFrame>
  );
}

type Translate = ReturnType<typeof useTranslation>['t'];

/** The re-issue's own words for its refusals (own card, finished), else the console's sentence for the kind. */
function refusalSentence(t: Translate, error: ConsoleError): string {
  const general = t(refusalKey(error));
  if (error.code !== 'refused' || error.refusal === undefined) return general;
  return t(`console.reissue.refusal.${error.refusal}`, { defaultValue: general });
}

function ReissuedCode(props: { code: ConsoleReissuedCode; personName: string; onDone: () => void }): ReactNode {
  const { t } = useTranslation();
  const now = useNow(1000);
  const secondsLeft = secondsLeftUntil(deadlineFromIso(props.code.expiresAt), now);
  const expired = secondsLeft === 0;
  return (
    <ScreenFrame title={t('console.reissue.shownTitle', { name: props.personName })} className="console__reissued">
      <p className="notice notice--info" role="status">
        {t('console.reissue.oldDead')}
      </p>
      <div className="console__reissued-layout">
        <div className={`enrollment__qr-frame${expired ? ' enrollment__qr-frame--expired' : ''}`}>
          <QrCodeSvg text={props.code.qrPayload} label={t('console.reissue.qrLabel')} className="enrollment__qr" />
        </div>
        <div className="console__reissued-details">
          <p className="lead">{t('console.reissue.readAloud')}</p>
          <p className={`otp${expired ? ' otp--expired' : ''}`}>
            <span aria-hidden="true">{formatOtpForDisplay(props.code.otp)}</span>
            <span className="visually-hidden">
              {t('console.reissue.passwordSpoken', { digits: otpForScreenReader(props.code.otp) })}
            </span>
          </p>
          <p className={expired ? 'notice notice--warning' : 'countdown-text'}>
            {expired ? t('console.reissue.expired') : t('console.reissue.expiresIn', minutesAndSeconds(secondsLeft))}
          </p>
          <button type="button" className="button button--primary" onClick={props.onDone}>
            {t('console.reissue.done')}
          </button>
        </div>
      </div>
    </ScreenFrame>
  );
}
