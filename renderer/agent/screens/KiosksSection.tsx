// The kiosks: each one's name, when it was last heard from (relative and absolute), its reader and card-service
// state, and its problems in words; those with problems first (the issuer's order). Main reads the list on a timer
// (main/console/kiosk-poll.ts) and pushes it in the signed-in view, so this screen refreshes by itself.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentKiosk, KioskProblem } from '../../../contracts/agent-api.ts';
import type { ConsoleKiosks } from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { useNow } from '../../hooks.ts';
import { timeAgo } from '../logic/relative-time.ts';

/** The clock tick of the "… ago" texts: they change by the minute. */
const TICK_MS = 15_000;

export function KiosksSection({ kiosks }: { readonly kiosks: ConsoleKiosks }): ReactNode {
  const { t, i18n } = useTranslation();
  const now = useNow(TICK_MS);
  const when = (iso: string): string =>
    new Date(iso).toLocaleString(i18n.resolvedLanguage, { dateStyle: 'medium', timeStyle: 'medium' });
  return (
    <ScreenFrame title={t('console.kiosks.title')}>
      <p className={`notice ${kiosks.state === 'unavailable' ? 'notice--problem' : 'notice--info'}`} role="status">
        {kiosks.state === 'live' && kiosks.checkedAt !== null
          ? t('console.kiosks.live', { time: when(kiosks.checkedAt) })
          : t(`console.kiosks.${kiosks.state}`)}
      </p>
      {kiosks.state !== 'loading' && kiosks.kiosks.length === 0 ? (
        <p className="lead">{t('console.kiosks.none')}</p>
      ) : null}
      {kiosks.kiosks.length === 0 ? null : (
        <table className="console__table console__kiosks">
          <thead>
            <tr>
              <th scope="col">{t('console.kiosks.name')}</th>
              <th scope="col">{t('console.kiosks.lastSeen')}</th>
              <th scope="col">{t('console.kiosks.reader')}</th>
              <th scope="col">{t('console.kiosks.cardService')}</th>
              <th scope="col">{t('console.kiosks.problems')}</th>
            </tr>
          </thead>
          <tbody>
            {kiosks.kiosks.map((kiosk) => (
              <tr key={kiosk.name} className={kiosk.problems.length > 0 ? 'console__row--problem' : undefined}>
                <th scope="row">
                  <bdi>{kiosk.name}</bdi>
                </th>
                <td data-label={t('console.kiosks.lastSeen')}>
                  {kiosk.lastSeenAt === null ? (
                    t('console.kiosks.never')
                  ) : (
                    <>
                      {timeAgo(kiosk.lastSeenAt, now, i18n.resolvedLanguage)}
                      <br />
                      <span className="muted">{when(kiosk.lastSeenAt)}</span>
                    </>
                  )}
                </td>
                <td data-label={t('console.kiosks.reader')}>
                  {kiosk.reader === null ? '—' : t(`console.kiosks.readerState.${kiosk.reader}`)}
                </td>
                <td data-label={t('console.kiosks.cardService')}>
                  {kiosk.cardService === null ? '—' : t(`console.kiosks.serviceState.${kiosk.cardService}`)}
                </td>
                <td data-label={t('console.kiosks.problems')}>
                  <KioskProblems kiosk={kiosk} when={when} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ScreenFrame>
  );
}

function KioskProblems({ kiosk, when }: { kiosk: AgentKiosk; when: (iso: string) => string }): ReactNode {
  const { t } = useTranslation();
  if (kiosk.problems.length === 0) return <span className="console__ok">{t('console.kiosks.ok')}</span>;
  return (
    <ul className="console__problems">
      {kiosk.problems.map((problem, index) => (
        <li key={index}>{problemText(t, problem, when)}</li>
      ))}
    </ul>
  );
}

type Translate = ReturnType<typeof useTranslation>['t'];

/** A problem in the agent's words (never its code, except a kiosk error code this console has no words for). */
function problemText(t: Translate, problem: KioskProblem, when: (iso: string) => string): string {
  switch (problem.kind) {
    case 'revoked':
    case 'never-seen':
      return t(`console.kiosks.problem.${problem.kind}`);
    case 'heartbeat-stale':
      return t('console.kiosks.problem.stale', { count: Math.floor(problem.silentSeconds / 60) });
    case 'reader-down':
      return t(`console.kiosks.problem.reader-${problem.reader}`);
    case 'card-service-down':
      return t(`console.kiosks.problem.service-${problem.cardService}`);
    case 'recent-error':
      return t('console.kiosks.problem.error', {
        what: t(`console.kiosks.error.${problem.code}`, {
          defaultValue: t('console.kiosks.error.other', { code: problem.code }),
        }),
        time: when(problem.at),
      });
  }
}
