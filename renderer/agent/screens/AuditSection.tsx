// The audit screen (auditor, admin; the issuer is the real gate: any other role is told "your role cannot do this"):
// the filter bar, the rows newest first (time, agent, action, target, outcome, reason or note), "load more" for the
// next page, and an export of the applied filter as JSON lines or CSV, which main builds and the page saves.
import type { ReactNode } from 'react';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditRow } from '../../../contracts/agent-api.ts';
import { AUDIT_EXPORT_MAX_ROWS } from '../../../contracts/console-api.ts';
import type {
  AuditExportFormat,
  ConsoleApi,
  ConsoleAuditFilter,
  ConsoleAuditOlder,
} from '../../../contracts/console-api.ts';
import { ScreenFrame } from '../../components/ScreenFrame.tsx';
import { refusalKey } from '../console-client.ts';
import { saveDownload } from '../save-download.ts';
import { AuditFilters, NO_AUDIT_FILTER } from './AuditFilters.tsx';

/** An ISO time as the table shows it: date and time to the second, in UTC (the audit's own clock). */
const shownTime = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;

type ExportState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'done'; readonly rows: number; readonly fileName: string; readonly truncated: boolean };

export function AuditSection({ api }: { readonly api: ConsoleApi }): ReactNode {
  const { t } = useTranslation();
  const [applied, setApplied] = useState<ConsoleAuditFilter>(NO_AUDIT_FILTER);
  const [rows, setRows] = useState<readonly AuditRow[] | null>(null);
  /** Where the older page starts (the issuer's `nextBefore` and cursor of the last page shown); null: no more. */
  const [older, setOlder] = useState<ConsoleAuditOlder | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [exported, setExported] = useState<ExportState>({ kind: 'idle' });

  const load = useCallback(
    async (filter: ConsoleAuditFilter, from: ConsoleAuditOlder | null): Promise<void> => {
      const answer = await api.searchAudit(filter, from);
      if (!answer.ok) return setProblem(t(refusalKey(answer.error)));
      setProblem(null);
      setRows((shown) => [...(from === null ? [] : (shown ?? [])), ...answer.value.rows]);
      const { nextBefore, nextCursor } = answer.value;
      setOlder(nextBefore === null ? null : { before: nextBefore, cursor: nextCursor });
    },
    [api, t],
  );
  useEffect(() => {
    void load(NO_AUDIT_FILTER, null);
  }, [load]);

  const apply = (filter: ConsoleAuditFilter): void => {
    setApplied(filter);
    setExported({ kind: 'idle' });
    void load(filter, null);
  };
  const exportAs = async (format: AuditExportFormat): Promise<void> => {
    setExported({ kind: 'busy' });
    const answer = await api.exportAudit(applied, format);
    if (!answer.ok) {
      setExported({ kind: 'idle' });
      return setProblem(t(refusalKey(answer.error)));
    }
    const file = answer.value;
    saveDownload(file.fileName, file.mediaType, file.text);
    setExported({ kind: 'done', rows: file.rows, fileName: file.fileName, truncated: file.truncated });
  };

  return (
    <ScreenFrame title={t('console.audit.title')}>
      <AuditFilters onApply={apply} />
      {problem === null ? null : (
        <p className="notice notice--problem" role="alert">
          {problem}
        </p>
      )}
      <div className="console__search-row">
        {(['jsonl', 'csv'] as const).map((format) => (
          <button
            key={format}
            type="button"
            className="button button--secondary"
            disabled={exported.kind === 'busy'}
            onClick={() => void exportAs(format)}
          >
            {t(`console.audit.export.${format}`)}
          </button>
        ))}
      </div>
      <ExportNotice state={exported} />
      {rows === null ? null : <AuditTable rows={rows} />}
      {older === null ? null : (
        <button type="button" className="button button--secondary" onClick={() => void load(applied, older)}>
          {t('console.audit.loadMore')}
        </button>
      )}
    </ScreenFrame>
  );
}

function ExportNotice({ state }: { readonly state: ExportState }): ReactNode {
  const { t } = useTranslation();
  if (state.kind === 'idle') return null;
  if (state.kind === 'busy')
    return (
      <p className="notice notice--info" role="status">
        {t('console.audit.export.busy')}
      </p>
    );
  return (
    <div role="status">
      <p className="notice notice--info">
        {t('console.audit.export.done', { count: state.rows, fileName: state.fileName })}
      </p>
      {state.truncated ? (
        <p className="notice notice--problem">
          {t('console.audit.export.truncated', { max: AUDIT_EXPORT_MAX_ROWS.toLocaleString() })}
        </p>
      ) : null}
    </div>
  );
}

function AuditTable({ rows }: { readonly rows: readonly AuditRow[] }): ReactNode {
  const { t } = useTranslation();
  if (rows.length === 0) return <p className="lead">{t('console.audit.none')}</p>;
  return (
    <table className="console__table console__audit">
      <caption className="muted">{t('console.audit.shown', { count: rows.length })}</caption>
      <thead>
        <tr>
          <th scope="col">{t('console.audit.column.time')}</th>
          <th scope="col">{t('console.audit.column.agent')}</th>
          <th scope="col">{t('console.audit.column.action')}</th>
          <th scope="col">{t('console.audit.column.target')}</th>
          <th scope="col">{t('console.audit.column.outcome')}</th>
          <th scope="col">{t('console.audit.column.reason')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.sequence}>
            <td className="console__audit-time">{shownTime(row.at)}</td>
            <td>
              <bdi>{row.agent === null ? '—' : (row.agent.name ?? row.agent.cardId)}</bdi>
            </td>
            <td className="console__serial">{row.action}</td>
            <td className="console__serial">
              <bdi>{row.target ?? '—'}</bdi>
            </td>
            <td className={row.outcome === 'failure' ? 'console__state--revoked' : undefined}>
              {t(`console.audit.outcome.${row.outcome}`)}
            </td>
            <td>
              <bdi>{[row.code, row.note].filter((part) => part !== null).join(': ') || '—'}</bdi>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
