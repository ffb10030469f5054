// The help-desk agent console's storage (AgentStorage, issue 13) on PostgreSQL: NOT DONE YET. The console's tables
// exist there (migration 7 runs on both stores); its statements are SQLite's only (sqlite-agent.ts), written while
// the PostgreSQL store was being built in parallel. Every method refuses with one clear error, so an issuer on
// PostgreSQL answers the agent routes with 500 and changes nothing, instead of pretending; the kiosk and phone
// flows are unaffected. Porting sqlite-agent.ts's statements (all portable SQL) is the remaining work.
import type { AgentStorage } from './issuer-storage.ts';

const notYet = (): Promise<never> =>
  Promise.reject(new Error('the help-desk agent console is not available on PostgreSQL storage yet (SQLite only)'));

export function postgresAgentStorage(): AgentStorage {
  return {
    findAgentRoles: notYet,
    listAgentRoles: notYet,
    grantAgentRole: notYet,
    withdrawAgentRole: notYet,
    openAgentSession: notYet,
    findAgentSessionByTokenHash: notYet,
    renewAgentSession: notYet,
    endAgentSession: notYet,
    searchCards: notYet,
    insertRevocationRequest: notYet,
    findRevocationRequest: notYet,
    listRevocationRequests: notYet,
    moveRevocationRequest: notYet,
    listEnrollmentQueue: notYet,
    findEnrollmentSupervision: notYet,
    requestAffirmation: notYet,
    affirmEnrollment: notYet,
  };
}
