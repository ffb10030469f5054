// Agent sign-in with the agent's own card through PKI-AUTH, the roles the tenant gives cards (by UUID, FASC-N or
// subject DN), and the agent session: short, renewed by activity, ended by sign-out, checked on every call.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentIdentityKey, grantAgentRole } from '../../../../issuer/agent/agent-roles.ts';
import { authenticateAgent, signInAgent, signOutAgent } from '../../../../issuer/agent/agent-session.ts';
import { parseCertificate } from '../../../../issuer/pki-auth/parsed-certificate.ts';
import { hashToken } from '../../../../issuer/secrets.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

let h: AgentHarness;
beforeEach(async () => {
  h = await startAgentHarness();
});
afterEach(async () => {
  await h.close();
});

const MINUTE = 60_000;

describe('agent sign-in', () => {
  it("a person's card (no role) is refused with 403 agent-role-missing, audited, and its challenge is used up", async () => {
    const person = await h.personCard('Pat Person');
    const answer = await h.answer(person);
    expect(await signInAgent(h.ctx, { answer, ip: '127.0.0.1' })).toMatchObject({
      ok: false,
      error: { code: 'agent-role-missing' },
    });
    expect(await h.auditCodes()).toContainEqual(['agent-sign-in', 'agent-role-missing']);
    await h.grant(person, 'helpdesk');
    expect(await signInAgent(h.ctx, { answer, ip: '127.0.0.1' })).toMatchObject({
      ok: false,
      error: { code: 'challenge-used' },
    });
  });

  it('a card with a role by UUID signs in: the session names the roles, only a hash of the token is stored', async () => {
    const agent = await h.personCard('Ann Agent');
    await h.grant(agent, 'helpdesk');
    await h.grant(agent, 'approver');
    const answer = await h.answer(agent);
    const session = await signInAgent(h.ctx, { answer, ip: '127.0.0.1' });
    if (!session.ok) throw new Error(session.error.code);
    expect(session.value).toMatchObject({
      expiresIn: 900,
      agent: { name: 'Ann Agent', roles: ['approver', 'helpdesk'] },
    });
    const stored = await h.ctx.storage.findAgentSessionByTokenHash(hashToken(session.value.sessionToken));
    expect(stored?.tokenHash).not.toContain(session.value.sessionToken);
    expect(JSON.stringify(await h.ctx.storage.listAudit(0, 1000))).not.toContain(session.value.sessionToken);
    // The same answer again is a replay.
    expect(await signInAgent(h.ctx, { answer, ip: '127.0.0.1' })).toMatchObject({
      ok: false,
      error: { code: 'challenge-used' },
    });
  });

  it('a role given by FASC-N or by subject DN counts as one given by UUID', async () => {
    const byFascn = await h.personCard('Fay Fascn');
    await grantAgentRole(
      h.ctx.storage,
      agentIdentityKey('fascn', Buffer.from(byFascn.fascn).toString('hex').toUpperCase()),
      'auditor',
      { kind: 'admin', id: 'test' },
      h.ctx.now(),
    );
    await expect(h.signInAgent(byFascn)).resolves.toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const bySubject = await h.personCard('Sid Subject');
    const parsed = parseCertificate(bySubject.der);
    if (!parsed.ok) throw new Error(parsed.message);
    await grantAgentRole(
      h.ctx.storage,
      agentIdentityKey('subject', parsed.certificate.subject),
      'admin',
      { kind: 'admin', id: 'test' },
      h.ctx.now(),
    );
    await expect(h.signInAgent(bySubject)).resolves.toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('refuses to store a role for a name no card could carry', () => {
    expect(() => agentIdentityKey('uuid', "x' OR 1=1 --")).toThrow(/not a card uuid/);
    expect(() => agentIdentityKey('fascn', 'd4')).toThrow(/not a card fascn/);
    expect(() => agentIdentityKey('email', 'a@b.c')).toThrow(/one of: uuid, fascn, subject/);
  });
});

describe('agent session', () => {
  let agent: Awaited<ReturnType<AgentHarness['personCard']>>;
  let token: string;
  beforeEach(async () => {
    agent = await h.personCard('Ann Agent');
    await h.grant(agent, 'helpdesk');
    token = await h.signInAgent(agent);
  });

  it('forged, missing or malformed tokens are 401 agent-session-invalid', async () => {
    for (const forged of [null, 'A'.repeat(43), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`])
      expect(await authenticateAgent(h.ctx, forged, 'read')).toMatchObject({
        ok: false,
        error: { code: 'agent-session-invalid' },
      });
    expect(await authenticateAgent(h.ctx, token, 'read')).toMatchObject({ ok: true });
  });

  it('dies after 15 minutes without a call, lives on while calls keep coming, ends at the hard limit', async () => {
    for (let i = 0; i < 4; i += 1) {
      h.advance(14 * MINUTE);
      expect(await authenticateAgent(h.ctx, token, 'read')).toMatchObject({ ok: true });
    }
    h.advance(15 * MINUTE);
    expect(await authenticateAgent(h.ctx, token, 'read')).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
    const second = await h.signInAgent(agent);
    for (let elapsed = 0; elapsed < 8 * 60; elapsed += 14) {
      h.advance(14 * MINUTE);
      await authenticateAgent(h.ctx, second, 'read');
    }
    // 8 hours (agentConsole.sessionMaxSeconds) after sign-in, activity no longer helps.
    expect(await authenticateAgent(h.ctx, second, 'read')).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
  });

  it("the queue stream's periodic check (renew: false) does not keep an idle session alive", async () => {
    for (let i = 0; i < 3; i += 1) {
      h.advance(5 * MINUTE);
      if (i < 2) expect(await authenticateAgent(h.ctx, token, 'read', { renew: false })).toMatchObject({ ok: true });
    }
    expect(await authenticateAgent(h.ctx, token, 'read', { renew: false })).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
  });

  it('sign-out ends the session at once (the console signs out when the card is pulled), audited', async () => {
    expect(await signOutAgent(h.ctx, token)).toEqual({ ok: true, value: null });
    expect(await authenticateAgent(h.ctx, token, 'read')).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
    expect(await signOutAgent(h.ctx, token)).toMatchObject({ ok: false, error: { code: 'agent-session-invalid' } });
    expect(await h.auditCodes()).toContainEqual(['agent-sign-out', null]);
  });

  it('a role only an approver holds is refused to a helpdesk agent (403, audited); a role change counts on the next call', async () => {
    expect(await authenticateAgent(h.ctx, token, 'approve')).toMatchObject({
      ok: false,
      error: { code: 'agent-forbidden' },
    });
    expect(await h.auditCodes()).toContainEqual(['agent-forbidden', 'agent-forbidden']);
    await h.grant(agent, 'approver');
    expect(await authenticateAgent(h.ctx, token, 'approve')).toMatchObject({ ok: true });
    await h.withdraw(agent, 'helpdesk');
    await h.withdraw(agent, 'approver');
    expect(await authenticateAgent(h.ctx, token, 'read')).toMatchObject({
      ok: false,
      error: { code: 'agent-forbidden' },
    });
    expect((await h.auditCodes()).filter(([event]) => event.startsWith('agent-role'))).toEqual([
      ['agent-role-grant', 'helpdesk'],
      ['agent-role-grant', 'approver'],
      ['agent-role-withdraw', 'helpdesk'],
      ['agent-role-withdraw', 'approver'],
    ]);
  });
});
