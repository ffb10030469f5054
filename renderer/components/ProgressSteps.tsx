// "Card and PIN → Phone code → Scan → Done" in the header, so a person knows how far along they are.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProgressStep } from '../logic/progress.ts';
import { PROGRESS_STEPS } from '../logic/progress.ts';

export function ProgressSteps({ current }: { readonly current: ProgressStep | null }): ReactNode {
  const { t } = useTranslation();
  if (current === null) return null;
  const currentIndex = PROGRESS_STEPS.indexOf(current);
  return (
    <ol className="progress" aria-label={t('app.steps.label')}>
      {PROGRESS_STEPS.map((step, index) => {
        const state = index < currentIndex ? 'past' : index === currentIndex ? 'current' : 'future';
        return (
          <li
            key={step}
            className={`progress__step progress__step--${state}`}
            aria-current={state === 'current' ? 'step' : undefined}
          >
            <span className="progress__number" aria-hidden="true">
              {index + 1}
            </span>
            {t(`app.steps.${step}`)}
          </li>
        );
      })}
    </ol>
  );
}
