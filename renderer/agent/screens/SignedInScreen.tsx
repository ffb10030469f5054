// The signed-in console: two sections (look up a person; revocations awaiting approval), chosen in a nav bar. Each
// section keeps its own state; the whole screen unmounts when the console locks.
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentRole } from '../../../contracts/agent-api.ts';
import type { ConsoleApi } from '../../../contracts/console-api.ts';
import { ApprovalsSection } from './ApprovalsSection.tsx';
import { PeopleSection } from './PeopleSection.tsx';

type Section = 'people' | 'approvals';

export function SignedInScreen(props: { readonly api: ConsoleApi; readonly roles: readonly AgentRole[] }): ReactNode {
  const { t } = useTranslation();
  const [section, setSection] = useState<Section>('people');
  const tab = (name: Section): ReactNode => (
    <button
      type="button"
      className={`language-picker__option${section === name ? ' language-picker__option--current' : ''}`}
      aria-current={section === name ? 'page' : undefined}
      onClick={() => setSection(name)}
    >
      {t(`console.header.${name}`)}
    </button>
  );
  return (
    <div className="console__signed-in">
      <nav className="console__nav" aria-label={t('console.header.nav')}>
        {tab('people')}
        {tab('approvals')}
      </nav>
      {section === 'people' ? (
        <PeopleSection api={props.api} />
      ) : (
        <ApprovalsSection api={props.api} isApprover={props.roles.includes('approver')} />
      )}
    </div>
  );
}
