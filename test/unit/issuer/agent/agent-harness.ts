// Agents at the help-desk console without HTTP: the rule harness (real SQLite, real CA, the real PKI-AUTH verifier
// against a test PKI, a fixed clock) plus agent cards with their own UUID and FASC-N, roles granted as an
// administrator would, and sign-in through the agent's PKI-AUTH route rule.
import { createPrivateKey } from 'node:crypto';
import type { AgentRole } from '../../../../contracts/agent-api.ts';
import { agentIdentityKey, grantAgentRole, withdrawAgentRole } from '../../../../issuer/agent/agent-roles.ts';
import { signInAgent } from '../../../../issuer/agent/agent-session.ts';
import { issueChallenge } from '../../../../issuer/pki-auth/issue-challenge.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { signPkiAuth } from '../../../integration/pki-auth/card-signature.ts';
import { UNSIGNED_CALL, startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';

export interface AgentHarness extends RuleHarness {
  /** A card of its own person: a UUID and a FASC-N no other card of the harness has. */
  personCard(name: string): Promise<IssuedCardCertificate>;
  grant(card: IssuedCardCertificate, role: AgentRole): Promise<void>;
  withdraw(card: IssuedCardCertificate, role: AgentRole): Promise<void>;
  /** The PKI-AUTH answer of the card to a fresh challenge, as the console sends it. */
  answer(card: IssuedCardCertificate): Promise<Parameters<typeof signInAgent>[1]['answer']>;
  /** Signs the card in as an agent; throws when refused. */
  signInAgent(card: IssuedCardCertificate): Promise<string>;
}

const admin = { kind: 'admin', id: 'test-admin' } as const;

export async function startAgentHarness(config: Record<string, unknown> = {}): Promise<AgentHarness> {
  const h = await startRuleHarness(config);
  let people = 0;
  const uuidKey = (card: IssuedCardCertificate) => agentIdentityKey('uuid', card.uuid);
  const answer: AgentHarness['answer'] = async (card) => {
    const challenge = await issueChallenge(h.ctx, {
      request: { kioskId: 'agent-desk' },
      kioskProof: UNSIGNED_CALL,
      ip: '127.0.0.1',
    });
    if (!challenge.ok) throw new Error(challenge.error.code);
    const key = createPrivateKey({ key: Buffer.from(card.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const signed = signPkiAuth(key, card.keyAlgorithm, Buffer.from(challenge.value.challenge, 'base64url'));
    return {
      challengeId: challenge.value.challengeId,
      certificate: Buffer.from(card.der).toString('base64url'),
      kioskNonce: Buffer.from(signed.kioskNonce).toString('base64url'),
      signature: Buffer.from(signed.signature).toString('base64url'),
    };
  };
  return {
    ...h,
    personCard: (name) => {
      people += 1;
      return h.pki.issueCardCertificate({
        keyAlgorithm: 'P-256',
        commonName: name,
        fascn: `d6${people.toString(16).padStart(48, '0')}`,
      });
    },
    grant: async (card, role) => {
      await grantAgentRole(h.ctx.storage, uuidKey(card), role, admin, h.ctx.now());
    },
    withdraw: async (card, role) => {
      await withdrawAgentRole(h.ctx.storage, uuidKey(card), role, admin, h.ctx.now());
    },
    answer,
    signInAgent: async (card) => {
      const session = await signInAgent(h.ctx, { answer: await answer(card), ip: '127.0.0.1' });
      if (!session.ok) throw new Error(`agent sign-in refused: ${session.error.code} ${session.error.detail ?? ''}`);
      return session.value.sessionToken;
    },
  };
}
