// After the PIN: one sentence per step ("Creating a key in this PC's security chip…") under the kiosk's progress
// indicator, and the steps of the whole run as a list, so a person sees how far it is.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { PcView, PcWorkStep } from '../../../contracts/pc-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';

type WorkingView = Extract<PcView, { screen: 'working' }>;

const STEPS_OF: Readonly<Record<WorkingView['purpose'], readonly PcWorkStep[]>> = {
  enroll: ['signing-in', 'creating-key', 'issuing', 'installing'],
  renew: ['signing-in', 'creating-key', 'issuing', 'installing', 'revoking'],
  remove: ['revoking'],
};

export function WorkingScreen({ view }: { readonly view: WorkingView }): ReactNode {
  const { t } = useTranslation();
  const steps = STEPS_OF[view.purpose];
  const current = steps.indexOf(view.step);
  return (
    <ScreenFrame title={t(`pc.working.title.${view.purpose}`)}>
      <div className="progress-indicator" aria-hidden="true" />
      <p className="lead" role="status">
        {t(`pc.working.${view.step}`)}
      </p>
      {steps.length > 1 ? (
        <ol className="pc__steps">
          {steps.map((step, index) => (
            <li
              key={step}
              className={index < current ? 'pc__step--done' : index === current ? 'pc__step--current' : undefined}
              aria-current={index === current ? 'step' : undefined}
            >
              {t(`pc.step.${step}`)}
            </li>
          ))}
        </ol>
      ) : null}
      {/* Closed mid-step (main/electron/close-after-step.ts): the window stays until the step ends, and says why. */}
      {view.closing === true ? (
        <p className="lead" role="alert">
          {t('pc.working.closing')}
        </p>
      ) : (
        <p className="muted">{t('pc.working.keepOpen')}</p>
      )}
    </ScreenFrame>
  );
}
