// The audit screen's filter bar: the agent (name or card id), the action (an event name, with the console's own
// actions suggested), text the target or note contains, the outcome, and a range of days. Submitting applies it.
import type { FormEvent, ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AUDIT_FILTER_TEXT_MAX } from '../../../contracts/agent-api.ts';
import type { ConsoleAuditFilter } from '../../../contracts/console-api.ts';

export const NO_AUDIT_FILTER: ConsoleAuditFilter = { agent: '', action: '', target: '', outcome: '', from: '', to: '' };

/** The console's own actions, offered as suggestions (any event name may be typed). */
const SUGGESTED_ACTIONS = [
  'agent-sign-in',
  'agent-lookup',
  'credential-suspend',
  'credential-resume',
  'credential-revoke',
  'agent-terminate',
  'agent-revocation-request',
  'agent-revocation-approve',
  'agent-revocation-reject',
  'agent-reissue',
  'agent-affirm',
  'agent-forbidden',
  'agent-audit-search',
];

interface AuditFiltersProps {
  readonly onApply: (filter: ConsoleAuditFilter) => void;
}

export function AuditFilters({ onApply }: AuditFiltersProps): ReactNode {
  const { t } = useTranslation();
  const [filter, setFilter] = useState<ConsoleAuditFilter>(NO_AUDIT_FILTER);
  // Event names are lower case: what is typed is lowered as it is typed, so the issuer never refuses it for that.
  const set = (field: keyof ConsoleAuditFilter) => (event: { target: { value: string } }) =>
    setFilter({ ...filter, [field]: field === 'action' ? event.target.value.toLowerCase() : event.target.value });
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    onApply(filter);
  };
  const text = (field: 'agent' | 'action' | 'target', extra: { list?: string; pattern?: string } = {}): ReactNode => (
    <div className="console__filter">
      <label htmlFor={`audit-${field}`}>{t(`console.audit.filter.${field}`)}</label>
      <input
        id={`audit-${field}`}
        className="console__input"
        type="text"
        autoComplete="off"
        spellCheck={false}
        maxLength={field === 'action' ? 64 : AUDIT_FILTER_TEXT_MAX}
        value={filter[field]}
        onChange={set(field)}
        {...extra}
      />
    </div>
  );
  return (
    <form className="console__filters" role="search" aria-label={t('console.audit.filter.label')} onSubmit={onSubmit}>
      {text('agent')}
      {text('action', { list: 'audit-actions', pattern: '[a-z0-9\\-]*' })}
      <datalist id="audit-actions">
        {SUGGESTED_ACTIONS.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
      {text('target')}
      <div className="console__filter">
        <label htmlFor="audit-outcome">{t('console.audit.filter.outcome')}</label>
        <select
          id="audit-outcome"
          className="console__input"
          value={filter.outcome}
          onChange={(event) => {
            const outcome = event.target.value;
            setFilter({ ...filter, outcome: outcome === 'success' || outcome === 'failure' ? outcome : '' });
          }}
        >
          <option value="">{t('console.audit.filter.anyOutcome')}</option>
          <option value="success">{t('console.audit.outcome.success')}</option>
          <option value="failure">{t('console.audit.outcome.failure')}</option>
        </select>
      </div>
      <div className="console__filter">
        <label htmlFor="audit-from">{t('console.audit.filter.from')}</label>
        <input id="audit-from" className="console__input" type="date" value={filter.from} onChange={set('from')} />
      </div>
      <div className="console__filter">
        <label htmlFor="audit-to">{t('console.audit.filter.to')}</label>
        <input id="audit-to" className="console__input" type="date" value={filter.to} onChange={set('to')} />
      </div>
      <div className="console__filter console__filter--submit">
        <button type="submit" className="button button--primary">
          {t('console.audit.filter.apply')}
        </button>
      </div>
    </form>
  );
}
