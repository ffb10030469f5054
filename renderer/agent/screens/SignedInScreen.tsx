// The signed-in console: its sections (look up a person; the live queue; revocations awaiting approval; kiosks), chosen in a nav bar. Each
// section keeps its own state; the whole screen unmounts when the console locks.
import type { ReactNode } from 'react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentRole } from '../../../contracts/agent-api.ts';
import type { ConsoleApi, ConsoleKiosks, ConsoleQueue } from '../../../contracts/console-api.ts';
import { ApprovalsSection } from './ApprovalsSection.tsx';
import { AuditSection } from './AuditSection.tsx';
import { KiosksSection } from './KiosksSection.tsx';
import { PeopleSection } from './PeopleSection.tsx';
import { QueueSection } from './QueueSection.tsx';

type Section = 'people' | 'queue' | 'approvals' | 'kiosks' | 'audit';

interface SignedInScreenProps {
  readonly api: ConsoleApi;
  readonly roles: readonly AgentRole[];
  readonly queue: ConsoleQueue;
  readonly kiosks: ConsoleKiosks;
}

export function SignedInScreen(props: SignedInScreenProps): ReactNode {
  const { t } = useTranslation();
  const [section, setSection] = useState<Section>('people');
  const tab = (name: Section): ReactNode => (
    <button
      type="button"
      className={`language-picker__option${section === name ? ' language-picker__option--current' : ''}`}
      aria-current={section === name ? 'page' : undefined}
      onClick={() => setSection(name)}
    >
      {name === 'audit' ? t('console.audit.tab') : t(`console.header.${name}`)}
    </button>
  );
  return (
    <div className="console__signed-in">
      <nav className="console__nav" aria-label={t('console.header.nav')}>
        {tab('people')}
        {tab('queue')}
        {tab('approvals')}
        {tab('kiosks')}
        {/* Only the roles that may read the audit see its tab; the issuer refuses anyone else all the same. */}
        {props.roles.includes('auditor') || props.roles.includes('admin') ? tab('audit') : null}
      </nav>
      {section === 'people' ? <PeopleSection api={props.api} /> : null}
      {section === 'queue' ? <QueueSection api={props.api} queue={props.queue} /> : null}
      {section === 'approvals' ? (
        <ApprovalsSection api={props.api} isApprover={props.roles.includes('approver')} />
      ) : null}
      {section === 'kiosks' ? <KiosksSection kiosks={props.kiosks} /> : null}
      {section === 'audit' ? <AuditSection api={props.api} /> : null}
    </div>
  );
}
