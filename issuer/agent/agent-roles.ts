// Who may do what at the help-desk console. The tenant's role assignments live in one place, the database table
// `agent_roles` (migration 7): they reach every issuer process at once, and each change is audited (who, what, to
// whom). A card holds a role when its UUID, its FASC-N or its PIV Authentication certificate's subject DN is named.
// The issuer reads the roles again on every agent call, so a change takes effect on the next call.
import type { AgentIdentityKind, AgentRole } from '../../contracts/agent-api.ts';
import { AGENT_IDENTITY_KINDS, AGENT_ROLES } from '../../contracts/agent-api.ts';
import { parseCertificate } from '../pki-auth/parsed-certificate.ts';
import type { AgentIdentityKey, AgentRoleGrant, CardRecord, IssuerStorage } from '../storage/issuer-storage.ts';
import { isTypedText } from '../typed-text.ts';

/** Each console action and the roles that may take it: the one table the routes check against. */
export const AGENT_PERMISSIONS = {
  /** Look a person up; see the queue. */
  read: ['helpdesk', 'approver', 'auditor', 'admin'],
  /** Suspend, resume, revoke (a request under four eyes), terminate a leaver, re-issue a code, affirm a phone. */
  act: ['helpdesk', 'approver'],
  /** Decide a four-eyes revocation request. */
  approve: ['approver'],
  /** Read the audit log (every agent's actions): the auditor's job, and the administrator's. */
  audit: ['auditor', 'admin'],
  /** Grant and withdraw roles. */
  administer: ['admin'],
} as const satisfies Record<string, readonly AgentRole[]>;
export type AgentAction = keyof typeof AGENT_PERMISSIONS;

export function mayTake(roles: readonly AgentRole[], action: AgentAction): boolean {
  const allowed: readonly AgentRole[] = AGENT_PERMISSIONS[action];
  return roles.some((role) => allowed.includes(role));
}

export class AgentRoleError extends Error {
  readonly code = 'agent-role-invalid';
  constructor(detail: string) {
    super(detail);
    this.name = 'AgentRoleError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A FASC-N is 25 bytes (SP 800-73-4); stored as hex, as PKI-AUTH reads it from the certificate. */
const FASCN_HEX = /^[0-9a-f]{50}$/;
const MAX_SUBJECT_LENGTH = 1024;

/** An identity as an administrator types it → the form it is stored and compared in. @throws AgentRoleError */
export function agentIdentityKey(kind: string, value: string): AgentIdentityKey {
  const known = AGENT_IDENTITY_KINDS.find((candidate) => candidate === kind);
  if (known === undefined) throw new AgentRoleError(`an identity is one of: ${AGENT_IDENTITY_KINDS.join(', ')}`);
  const normalized = known === 'subject' ? value.trim() : value.trim().toLowerCase();
  const valid: Record<AgentIdentityKind, boolean> = {
    uuid: UUID.test(normalized),
    fascn: FASCN_HEX.test(normalized),
    subject: isTypedText(normalized, { min: 1, max: MAX_SUBJECT_LENGTH }),
  };
  if (!valid[known]) throw new AgentRoleError(`not a card ${known}: give it as the card's certificate shows it`);
  return { kind: known, value: normalized };
}

export function agentRole(text: string): AgentRole {
  const role = AGENT_ROLES.find((candidate) => candidate === text);
  if (role === undefined) throw new AgentRoleError(`a role is one of: ${AGENT_ROLES.join(', ')}`);
  return role;
}

/** Every name a card can be given a role by. The subject DN is read from the stored certificate. */
export function cardIdentityKeys(card: Pick<CardRecord, 'uuid' | 'fascnHex' | 'certificateDer'>): AgentIdentityKey[] {
  const keys: AgentIdentityKey[] = [];
  if (card.uuid !== null) keys.push({ kind: 'uuid', value: card.uuid.toLowerCase() });
  if (card.fascnHex !== null) keys.push({ kind: 'fascn', value: card.fascnHex.toLowerCase() });
  const parsed = parseCertificate(card.certificateDer);
  if (parsed.ok) keys.push({ kind: 'subject', value: parsed.certificate.subject });
  return keys;
}

export function rolesOfCard(
  storage: Pick<IssuerStorage, 'findAgentRoles'>,
  card: Pick<CardRecord, 'uuid' | 'fascnHex' | 'certificateDer'>,
): Promise<AgentRole[]> {
  return storage.findAgentRoles(cardIdentityKeys(card));
}

/** Who changes a role: an administrator at `dck admin agents`, or an agent with the admin role (by card id). */
export interface RoleChanger {
  kind: 'admin' | 'agent';
  id: string;
}

/** Grants `role` to the card named by `identity`, audited. False when it already held it (nothing changed). */
export function grantAgentRole(
  storage: Pick<IssuerStorage, 'grantAgentRole'>,
  identity: AgentIdentityKey,
  role: AgentRole,
  by: RoleChanger,
  at: Date,
): Promise<boolean> {
  const grant: AgentRoleGrant = { ...identity, role, grantedAt: at.getTime(), grantedBy: `${by.kind}:${by.id}` };
  return storage.grantAgentRole(grant, {
    at: at.getTime(),
    event: 'agent-role-grant',
    outcome: 'success',
    code: role,
    details: { identityKind: identity.kind, identity: identity.value, role, actorKind: by.kind, actor: by.id },
  });
}

/** Withdraws `role` from the card named by `identity`, audited. False when it did not hold it. */
export function withdrawAgentRole(
  storage: Pick<IssuerStorage, 'withdrawAgentRole'>,
  identity: AgentIdentityKey,
  role: AgentRole,
  by: RoleChanger,
  at: Date,
): Promise<boolean> {
  return storage.withdrawAgentRole(identity, role, {
    at: at.getTime(),
    event: 'agent-role-withdraw',
    outcome: 'success',
    code: role,
    details: { identityKind: identity.kind, identity: identity.value, role, actorKind: by.kind, actor: by.id },
  });
}
