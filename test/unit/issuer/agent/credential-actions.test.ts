// What an agent does to a person's derived credentials, on real SQLite with the real PKI-AUTH sign-in: look-up
// (with hostile search strings), suspend / resume / revoke with a reason and a note, a leaver's termination, the
// four-eyes policy, two agents at once, and never on the agent's own card. Every action leaves an audit row with
// the agent, the reason, the target and the outcome.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeCredential, suspendOrResume, terminatePerson } from '../../../../issuer/agent/credential-actions.ts';
import { lookUpPeople } from '../../../../issuer/agent/person-lookup.ts';
import {
  approveRevocation,
  listRevocationRequests,
  rejectRevocation,
} from '../../../../issuer/agent/revocation-requests.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { seedCredential } from '../lifecycle/seed-credentials.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

let h: AgentHarness;
let helpdesk: IssuedCardCertificate;
let approver: IssuedCardCertificate;
let helpdeskToken: string;
let approverToken: string;

beforeEach(async () => {
  h = await startAgentHarness();
  helpdesk = await h.personCard('Hal Helpdesk');
  approver = await h.personCard('Abe Approver');
  await h.grant(helpdesk, 'helpdesk');
  await h.grant(approver, 'approver');
  helpdeskToken = await h.signInAgent(helpdesk);
  approverToken = await h.signInAgent(approver);
});
afterEach(async () => {
  await h.close();
});

async function auditRows(event: string) {
  return (await h.ctx.storage.listAudit(0, 10_000)).filter((row) => row.event === event);
}

async function fourEyes(): Promise<void> {
  await changeTenantSettings(
    h.ctx.storage,
    h.ctx.config,
    { validateCancellation: 'on' },
    { kind: 'admin', id: 'test' },
    h.ctx.now(),
  );
}

describe('look-up', () => {
  it('finds a person by part of the name, UUID, FASC-N and either serial, with devices, states and renewal dates', async () => {
    const { serial, cardId } = await seedCredential(h.ctx.storage, { commonName: 'Maria Jansen' });
    const card = await h.ctx.storage.findCard(cardId);
    if (card === null || card.uuid === null || card.fascnHex === null) throw new Error('seed');
    for (const q of ['jans', card.uuid.toUpperCase(), card.fascnHex, serial, card.serialNumberHex]) {
      const found = await lookUpPeople(h.ctx, { token: helpdeskToken, query: q });
      if (!found.ok) throw new Error(found.error.code);
      expect(
        found.value.people.map((person) => person.name),
        q,
      ).toEqual(['Maria Jansen']);
      expect(found.value.people[0]?.credentials).toEqual([
        expect.objectContaining({
          serialNumberHex: serial,
          state: 'active',
          device: { id: null, platform: 'Android 15', model: 'Pixel 9', source: 'confirmed-at-kiosk' },
          renewalDueAt: expect.stringMatching(/^\d{4}-/) as unknown,
        }),
      ]);
    }
    expect((await auditRows('agent-lookup')).at(-1)?.details).toMatchObject({ query: card.serialNumberHex, cards: 1 });
  });

  it("finds a person by the card certificate's e-mail address: whole, any case; a part or another address finds nobody", async () => {
    const eva = await h.pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Eva Mailer',
      email: 'Eva.Mailer@Agency.example',
    });
    await h.signIn(eva);
    await h.signIn(await h.pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Nora Nomail' }));
    const names = async (query: string) => {
      const found = await lookUpPeople(h.ctx, { token: helpdeskToken, query });
      if (!found.ok) throw new Error(found.error.code);
      return found.value.people.map((person) => person.name);
    };
    expect(await names('eva.mailer@agency.example')).toEqual(['Eva Mailer']);
    expect(await names('  EVA.MAILER@AGENCY.EXAMPLE ')).toEqual(['Eva Mailer']);
    for (const q of [
      'eva.mailer@agency',
      'mailer@agency.example',
      'eva.mailer@agency.example.org',
      "eva.mailer@agency.example' OR '1'='1",
      '%@agency.example',
      // A local part over 64 octets is not an address (RFC 5321): only a name search, which finds nobody.
      `${'e'.repeat(65)}@agency.example`,
    ])
      expect(await names(q), q).toEqual([]);
    expect((await auditRows('agent-lookup')).at(-1)?.details).toMatchObject({ cards: 0 });
  });

  it('SQL-shaped, wildcard and control-character searches find nothing or are refused (400, audited); nothing changes', async () => {
    await seedCredential(h.ctx.storage, { commonName: 'Maria Jansen' });
    const before = await h.ctx.storage.listDerivedCredentials({}, 100);
    for (const q of ["' OR '1'='1", "x'); DROP TABLE cards; --", '%%', '__', '\\%', 'ja%en']) {
      expect(await lookUpPeople(h.ctx, { token: helpdeskToken, query: q }), q).toEqual({
        ok: true,
        value: { people: [], truncated: false },
      });
    }
    for (const q of ['Maria\u0000', 'a\u202eb', 'x', ' '.repeat(100)])
      expect(await lookUpPeople(h.ctx, { token: helpdeskToken, query: q }), JSON.stringify(q)).toMatchObject({
        ok: false,
        error: { code: 'search-invalid' },
      });
    expect(await h.ctx.storage.listDerivedCredentials({}, 100)).toEqual(before);
    expect((await auditRows('agent-lookup')).filter((row) => row.code === 'search-invalid')).toHaveLength(4);
  });

  it('a person (no role) cannot look anyone up; a forged token cannot either', async () => {
    expect(await lookUpPeople(h.ctx, { token: 'A'.repeat(43), query: 'jans' })).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
  });
});

describe('suspend, resume, revoke', () => {
  it('each change is audited with the agent, the reason, the note and the credential', async () => {
    const { serial } = await seedCredential(h.ctx.storage);
    const input = { token: helpdeskToken, serialNumberHex: serial, note: 'phone lost on the train' };
    expect(await suspendOrResume(h.ctx, 'suspend', input)).toEqual({
      ok: true,
      value: { serialNumberHex: serial, state: 'suspended' },
    });
    expect(await suspendOrResume(h.ctx, 'resume', { ...input, note: 'phone found' })).toMatchObject({
      ok: true,
      value: { state: 'active' },
    });
    expect(await revokeCredential(h.ctx, { ...input, reason: 'keyCompromise', note: 'stolen' })).toEqual({
      ok: true,
      value: { outcome: 'revoked', revoked: [serial], requestId: null },
    });
    expect(await suspendOrResume(h.ctx, 'resume', input)).toMatchObject({
      ok: false,
      error: { code: 'credential-revoked' },
    });
    const [revoked] = await auditRows('credential-revoke');
    expect(revoked).toMatchObject({
      outcome: 'success',
      code: 'keyCompromise',
      details: { serialNumberHex: serial, actorKind: 'agent', note: 'stolen' },
    });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('revoked');
  });

  it('refuses certificateHold or an unknown reason as a revocation, and a note of two lines; nothing changes', async () => {
    const { serial } = await seedCredential(h.ctx.storage);
    const base = { token: helpdeskToken, serialNumberHex: serial, note: 'n' };
    expect(await revokeCredential(h.ctx, { ...base, reason: 'certificateHold' })).toMatchObject({
      ok: false,
      error: { code: 'revocation-reason-invalid' },
    });
    expect(await revokeCredential(h.ctx, { ...base, reason: 'keyCompromise', note: 'a\nb' })).toMatchObject({
      ok: false,
      error: { code: 'note-invalid' },
    });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('active');
  });

  it("an agent never acts on their own card's credentials (same UUID on another card counts), audited", async () => {
    const { serial } = await seedCredential(h.ctx.storage, { uuid: helpdesk.uuid });
    const input = { token: helpdeskToken, serialNumberHex: serial, note: 'my own' };
    expect(await suspendOrResume(h.ctx, 'suspend', input)).toMatchObject({
      ok: false,
      error: { code: 'agent-own-card' },
    });
    expect(await revokeCredential(h.ctx, { ...input, reason: 'superseded' })).toMatchObject({
      ok: false,
      error: { code: 'agent-own-card' },
    });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('active');
    expect((await auditRows('credential-suspend')).map((row) => row.code)).toEqual(['agent-own-card']);
  });

  it('two agents suspending one credential at once: one wins, the other is told it is already suspended (409)', async () => {
    const { serial } = await seedCredential(h.ctx.storage);
    const both = await Promise.all(
      [helpdeskToken, approverToken].map((token) =>
        suspendOrResume(h.ctx, 'suspend', { token, serialNumberHex: serial, note: 'at once' }),
      ),
    );
    expect(both.filter((result) => result.ok)).toHaveLength(1);
    expect(both.find((result) => !result.ok)).toMatchObject({ error: { code: 'credential-suspended' } });
  });

  it('an auditor reads but cannot act (403)', async () => {
    const auditor = await h.personCard('Aud Itor');
    await h.grant(auditor, 'auditor');
    const token = await h.signInAgent(auditor);
    const { serial } = await seedCredential(h.ctx.storage);
    expect(await lookUpPeople(h.ctx, { token, query: serial })).toMatchObject({ ok: true });
    expect(await suspendOrResume(h.ctx, 'suspend', { token, serialNumberHex: serial, note: 'n' })).toMatchObject({
      ok: false,
      error: { code: 'agent-forbidden' },
    });
  });
});

describe('a leaver', () => {
  it('terminate revokes every live credential of the card, with one summary row naming the agent and the note', async () => {
    const first = await seedCredential(h.ctx.storage, { cardSerial: 'c0ffee01', deviceId: 'phone-a' });
    const second = await seedCredential(h.ctx.storage, { cardSerial: 'c0ffee01', deviceId: 'phone-b' });
    expect(first.cardId).toBe(second.cardId);
    const result = await terminatePerson(h.ctx, {
      token: helpdeskToken,
      cardId: first.cardId,
      reason: 'affiliationChanged',
      note: 'left the agency',
    });
    if (!result.ok) throw new Error(result.error.code);
    expect(result.value.revoked.sort()).toEqual([first.serial, second.serial].sort());
    expect((await auditRows('agent-terminate'))[0]).toMatchObject({
      code: 'affiliationChanged',
      details: { cardId: first.cardId, note: 'left the agency', revoked: 2 },
    });
    expect(
      await terminatePerson(h.ctx, { token: helpdeskToken, cardId: 'A'.repeat(22), reason: 'unspecified', note: 'n' }),
    ).toMatchObject({ ok: false, error: { code: 'card-unknown' } });
  });
});

describe('four eyes (validateCancellation)', () => {
  beforeEach(fourEyes);

  it('a revocation becomes a request; a different approver approves it and only then is it revoked', async () => {
    const { serial } = await seedCredential(h.ctx.storage, { commonName: 'Pat Person' });
    const requested = await revokeCredential(h.ctx, {
      token: helpdeskToken,
      serialNumberHex: serial,
      reason: 'keyCompromise',
      note: 'reported stolen',
    });
    if (!requested.ok || requested.value.requestId === null) throw new Error('not requested');
    const requestId = requested.value.requestId;
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('active');
    const listed = await listRevocationRequests(h.ctx, approverToken);
    expect(listed).toMatchObject({
      ok: true,
      value: { requests: [{ requestId, personName: 'Pat Person', requestedBy: 'Hal Helpdesk', status: 'pending' }] },
    });
    // The helpdesk agent who asked cannot approve: the role is missing (403).
    expect(await approveRevocation(h.ctx, { token: helpdeskToken, requestId, note: 'me' })).toMatchObject({
      ok: false,
      error: { code: 'agent-forbidden' },
    });
    expect(await approveRevocation(h.ctx, { token: approverToken, requestId, note: 'checked ID' })).toEqual({
      ok: true,
      value: { outcome: 'revoked', revoked: [serial], requestId },
    });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('revoked');
    expect(await approveRevocation(h.ctx, { token: approverToken, requestId, note: 'again' })).toMatchObject({
      ok: false,
      error: { code: 'revocation-request-decided' },
    });
  });

  it('the requester cannot approve their own request even as an approver; nor can the subject', async () => {
    await h.grant(helpdesk, 'approver');
    const { serial } = await seedCredential(h.ctx.storage, { uuid: approver.uuid });
    const requested = await revokeCredential(h.ctx, {
      token: helpdeskToken,
      serialNumberHex: serial,
      reason: 'superseded',
      note: 'n',
    });
    if (!requested.ok || requested.value.requestId === null) throw new Error('not requested');
    const requestId = requested.value.requestId;
    expect(await approveRevocation(h.ctx, { token: helpdeskToken, requestId, note: 'n' })).toMatchObject({
      ok: false,
      error: { code: 'agent-same-requester' },
    });
    expect(await approveRevocation(h.ctx, { token: approverToken, requestId, note: 'n' })).toMatchObject({
      ok: false,
      error: { code: 'agent-own-card' },
    });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('active');
  });

  it('two approvers deciding at once: one wins, the other gets 409; a rejected request revokes nothing', async () => {
    const second = await h.personCard('Bea Approver');
    await h.grant(second, 'approver');
    const secondToken = await h.signInAgent(second);
    const { serial } = await seedCredential(h.ctx.storage);
    const requested = await revokeCredential(h.ctx, {
      token: helpdeskToken,
      serialNumberHex: serial,
      reason: 'unspecified',
      note: 'n',
    });
    if (!requested.ok || requested.value.requestId === null) throw new Error('not requested');
    const requestId = requested.value.requestId;
    const both = await Promise.all([
      approveRevocation(h.ctx, { token: approverToken, requestId, note: 'yes' }),
      rejectRevocation(h.ctx, { token: secondToken, requestId, note: 'no' }),
    ]);
    expect(both.filter((result) => result.ok)).toHaveLength(1);
    expect(both.find((result) => !result.ok)).toMatchObject({ error: { code: 'revocation-request-decided' } });
    const status = (await h.ctx.storage.findDerivedCertificate(serial))?.status;
    expect(status).toBe(both[0].ok ? 'revoked' : 'active');

    const { serial: other } = await seedCredential(h.ctx.storage);
    const again = await revokeCredential(h.ctx, {
      token: helpdeskToken,
      serialNumberHex: other,
      reason: 'unspecified',
      note: 'n',
    });
    if (!again.ok || again.value.requestId === null) throw new Error('not requested');
    expect(
      await rejectRevocation(h.ctx, { token: secondToken, requestId: again.value.requestId, note: 'wrong person' }),
    ).toEqual({ ok: true, value: null });
    expect((await h.ctx.storage.findDerivedCertificate(other))?.status).toBe('active');
  });

  it('two approvers approving at once: one wins, the other gets 409; revoked once, one claim', async () => {
    const second = await h.personCard('Bea Approver');
    await h.grant(second, 'approver');
    const secondToken = await h.signInAgent(second);
    const { serial } = await seedCredential(h.ctx.storage);
    const requested = await revokeCredential(h.ctx, {
      token: helpdeskToken,
      serialNumberHex: serial,
      reason: 'keyCompromise',
      note: 'n',
    });
    if (!requested.ok || requested.value.requestId === null) throw new Error('not requested');
    const requestId = requested.value.requestId;
    const both = await Promise.all([
      approveRevocation(h.ctx, { token: approverToken, requestId, note: 'first' }),
      approveRevocation(h.ctx, { token: secondToken, requestId, note: 'second' }),
    ]);
    expect(both.filter((result) => result.ok)).toHaveLength(1);
    expect(both.find((result) => !result.ok)).toMatchObject({ error: { code: 'revocation-request-decided' } });
    expect((await h.ctx.storage.findDerivedCertificate(serial))?.status).toBe('revoked');
    const approvals = await auditRows('agent-revocation-approve');
    expect(approvals.filter((row) => row.code === 'claimed')).toHaveLength(1);
    expect(approvals.filter((row) => row.code === 'revocation-request-decided')).toHaveLength(1);
    expect((await auditRows('credential-revoke')).filter((row) => row.outcome === 'success')).toHaveLength(1);
    expect((await h.ctx.storage.findRevocationRequest(requestId))?.status).toBe('approved');
  });

  it("a leaver's termination is one request for the whole card", async () => {
    const { serial, cardId } = await seedCredential(h.ctx.storage);
    const requested = await terminatePerson(h.ctx, {
      token: helpdeskToken,
      cardId,
      reason: 'affiliationChanged',
      note: 'left',
    });
    if (!requested.ok || requested.value.requestId === null) throw new Error('not requested');
    expect(
      await approveRevocation(h.ctx, { token: approverToken, requestId: requested.value.requestId, note: 'ok' }),
    ).toMatchObject({ ok: true, value: { revoked: [serial] } });
  });
});
