// An auditor reads the audit log at the console, on real SQLite with the real PKI-AUTH sign-in and a fixed clock:
// only auditor and admin may (every other role refused, audited), earlier agent actions show with the agent, the
// target and the note, newest first; each filter narrows; hostile filters are refused by name (400, audited without
// their value) or match only themselves; pages follow the cursor without gaps or repeats; each search is audited once,
// its later pages (with the issuer's cursor) not again, and a page without a valid cursor is audited.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRow } from '../../../../contracts/agent-api.ts';
import { auditTime, searchAuditLog } from '../../../../issuer/agent/audit-search.ts';
import { suspendOrResume } from '../../../../issuer/agent/credential-actions.ts';
import { lookUpPeople } from '../../../../issuer/agent/person-lookup.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { seedCredential } from '../lifecycle/seed-credentials.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

let h: AgentHarness;
let helpdesk: IssuedCardCertificate;
let auditor: IssuedCardCertificate;
let helpdeskToken: string;
let auditorToken: string;
let serial: string;

beforeEach(async () => {
  h = await startAgentHarness();
  helpdesk = await h.personCard('Hal Helpdesk');
  auditor = await h.personCard('Aude Auditor');
  await h.grant(helpdesk, 'helpdesk');
  await h.grant(auditor, 'auditor');
  helpdeskToken = await h.signInAgent(helpdesk);
  auditorToken = await h.signInAgent(auditor);
  ({ serial } = await seedCredential(h.ctx.storage, { commonName: 'Maria Jansen' }));
  h.advance(60_000);
  await lookUpPeople(h.ctx, { token: helpdeskToken, query: 'jansen' });
  h.advance(60_000);
  await suspendOrResume(h.ctx, 'suspend', { token: helpdeskToken, serialNumberHex: serial, note: 'phone lost' });
});
afterEach(async () => {
  await h.close();
});

async function search(query: Parameters<typeof searchAuditLog>[1]['query'], token = auditorToken) {
  return searchAuditLog(h.ctx, { token, query });
}

async function rowsOf(query: Parameters<typeof searchAuditLog>[1]['query']): Promise<AuditRow[]> {
  const page = await search(query);
  if (!page.ok) throw new Error(`${page.error.code} ${page.error.detail ?? ''}`);
  return page.value.rows;
}

async function auditRows(event: string) {
  return (await h.ctx.storage.listAudit(0, 10_000)).filter((row) => row.event === event);
}

describe('who may read the audit', () => {
  it('auditor and admin may; helpdesk and approver are refused (403, audited); a forged token is not signed in', async () => {
    const approver = await h.personCard('Abe Approver');
    const admin = await h.personCard('Ada Admin');
    await h.grant(approver, 'approver');
    await h.grant(admin, 'admin');
    for (const card of [helpdesk, approver]) {
      expect(await search({}, await h.signInAgent(card))).toMatchObject({
        ok: false,
        error: { code: 'agent-forbidden' },
      });
    }
    expect((await auditRows('agent-forbidden')).map((row) => row.details.action)).toEqual(['audit', 'audit']);
    expect(await search({}, await h.signInAgent(admin))).toMatchObject({ ok: true });
    expect(await search({})).toMatchObject({ ok: true });
    expect(await search({}, 'A'.repeat(43))).toMatchObject({ ok: false, error: { code: 'agent-session-invalid' } });
  });

  it('a role withdrawn takes effect on the next search', async () => {
    expect(await search({})).toMatchObject({ ok: true });
    await h.withdraw(auditor, 'auditor');
    expect(await search({})).toMatchObject({ ok: false, error: { code: 'agent-forbidden' } });
  });
});

describe('rows and filters', () => {
  it('shows earlier agent actions newest first, with the agent, the target, the note and the chain position', async () => {
    const rows = await rowsOf({ agent: 'hal' });
    expect(rows.map((row) => row.action)).toEqual(['credential-suspend', 'agent-lookup', 'agent-sign-in']);
    const [suspended, lookedUp] = rows;
    expect(suspended).toMatchObject({
      outcome: 'success',
      agent: { name: 'Hal Helpdesk' },
      target: serial,
      note: 'phone lost',
      chain: { position: expect.any(Number) as unknown },
    });
    expect(lookedUp).toMatchObject({ action: 'agent-lookup', target: 'jansen', agent: { name: 'Hal Helpdesk' } });
    const sequences = rows.map((row) => row.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
  });

  it('each filter narrows: agent by card id, action, target text, outcome, time window', async () => {
    const [suspended] = await rowsOf({ action: 'credential-suspend' });
    const agentCardId = suspended?.agent?.cardId ?? '';
    expect(agentCardId).not.toBe('');
    expect((await rowsOf({ agent: agentCardId })).map((row) => row.agent?.name)).toEqual(
      expect.arrayContaining(['Hal Helpdesk']) as unknown,
    );
    expect((await rowsOf({ agent: agentCardId })).every((row) => row.agent?.cardId === agentCardId)).toBe(true);
    expect((await rowsOf({ target: serial.toUpperCase() })).map((row) => row.action)).toContain('credential-suspend');
    expect(await rowsOf({ action: 'credential-revoke' })).toEqual([]);
    await search({}, helpdeskToken); // refused: a failure row of the helpdesk agent
    const refused = await rowsOf({ outcome: 'failure', agent: 'hal' });
    expect(refused.map((row) => [row.action, row.code])).toEqual([['agent-forbidden', 'agent-forbidden']]);
    expect((await rowsOf({ outcome: 'success', agent: 'hal' })).every((row) => row.outcome === 'success')).toBe(true);
    const at = h.ctx.now().getTime();
    const lastMinute = await rowsOf({
      from: new Date(at - 30_000).toISOString(),
      to: new Date(at + 1).toISOString(),
      agent: 'hal',
    });
    expect(lastMinute.map((row) => row.action)).toEqual(['agent-forbidden', 'credential-suspend']);
    expect(await rowsOf({ to: '2000-01-01' })).toEqual([]);
  });

  it('SQL-shaped and wildcard filter texts match only themselves; nothing changes', async () => {
    const before = await h.ctx.storage.listDerivedCredentials({}, 100);
    // The auditor's own searches are audited with their text: those rows (and only those) contain it.
    const othersThan = (rows: AuditRow[]) => rows.filter((row) => row.action !== 'agent-audit-search');
    for (const text of ["' OR '1'='1", "x'); DROP TABLE audit_log; --", '%', '\\', '%%', '_%']) {
      expect(othersThan(await rowsOf({ target: text })), text).toEqual([]);
      expect(await rowsOf({ agent: text }), text).toEqual([]);
    }
    // `_` is a literal underscore (record ids have them), not "any one character".
    const underscored = othersThan(await rowsOf({ target: '_' }));
    expect(underscored.every((row) => JSON.stringify(row.details).includes('_'))).toBe(true);
    expect(await h.ctx.storage.listDerivedCredentials({}, 100)).toEqual(before);
    expect((await rowsOf({})).length).toBeGreaterThan(0);
  });

  it('hostile or impossible filters are refused by name (400), audited without their value', async () => {
    const cases: Array<[Parameters<typeof searchAuditLog>[1]['query'], string]> = [
      [{ agent: 'a\u0000b' }, 'agent'],
      [{ target: 'x\u202ey' }, 'target'],
      [{ target: 'y'.repeat(129) }, 'target'],
      [{ action: 'DROP TABLE' }, 'action'],
      [{ action: "agent-lookup' --" }, 'action'],
      [{ outcome: 'maybe' }, 'outcome'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-02-30' }, 'from'],
      [{ from: '2026-12-06T25:00:00Z' }, 'from'],
      [{ from: '2026-12-06T10:00:00' }, 'from'],
      [{ from: '+275760-09-13' }, 'from'],
      [{ from: '2026-12-06', to: '2026-12-06' }, 'to'],
      [{ to: '9999-99-99' }, 'to'],
    ];
    for (const [query, filter] of cases)
      expect(await search(query), JSON.stringify(query)).toEqual({
        ok: false,
        error: { code: 'audit-filter-invalid', detail: filter },
      });
    const refusals = (await auditRows('agent-audit-search')).filter((row) => row.code === 'audit-filter-invalid');
    expect(refusals.map((row) => row.details.filter)).toEqual(cases.map(([, filter]) => filter));
    const stored = JSON.stringify(refusals);
    for (const value of ['DROP TABLE', 'yesterday', 'maybe', 'y'.repeat(129)]) expect(stored).not.toContain(value);
  });

  it('reads day and UTC time forms to the millisecond, and no other', () => {
    expect(auditTime('2026-12-06')).toBe(Date.UTC(2026, 11, 6));
    expect(auditTime('2026-12-06T14:05Z')).toBe(Date.UTC(2026, 11, 6, 14, 5));
    expect(auditTime('2026-12-06T14:05:09.250Z')).toBe(Date.UTC(2026, 11, 6, 14, 5, 9, 250));
    for (const text of ['2026-2-6', '2026-12-06 14:05Z', '2026-12-06T14:05+01:00', '2025-02-29', '06-12-2026'])
      expect(auditTime(text), text).toBeUndefined();
  });
});

describe('paging and its own audit', () => {
  it('pages follow the cursor newest first, no row twice, none left out; the last page says so', async () => {
    for (let i = 0; i < 7; i += 1) await lookUpPeople(h.ctx, { token: helpdeskToken, query: `maria ${i}` });
    const all = await rowsOf({ action: 'agent-lookup', limit: 200 });
    expect(all).toHaveLength(8);
    const seen: number[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await search({ action: 'agent-lookup', limit: 3, ...(before === undefined ? {} : { before }) });
      if (!page.ok) throw new Error(page.error.code);
      seen.push(...page.value.rows.map((row) => row.sequence));
      if (page.value.nextBefore === null) break;
      before = page.value.nextBefore;
    }
    expect(seen).toEqual(all.map((row) => row.sequence));
  });

  it('each search is one audit row of the auditor, with its filters and the number of rows it answered', async () => {
    const rows = await rowsOf({ agent: 'Hal', outcome: 'success', from: '2020-01-01', limit: 2 });
    const [own] = (await auditRows('agent-audit-search')).slice(-1);
    expect(own).toMatchObject({
      outcome: 'success',
      details: { agent: 'Hal', outcome: 'success', from: '2020-01-01T00:00:00.000Z', to: null, rows: rows.length },
    });
    expect((await rowsOf({ action: 'agent-audit-search' }))[0]?.agent?.name).toBe('Aude Auditor');
  });

  it('an export is one audited search: its later pages carry the issuer’s cursor and write no row', async () => {
    for (let i = 0; i < 7; i += 1) await lookUpPeople(h.ctx, { token: helpdeskToken, query: `maria ${i}` });
    const searchesBefore = (await auditRows('agent-audit-search')).length;
    const seen: number[] = [];
    let next: { before: number; cursor: string } | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await search({ action: 'agent-lookup', limit: 3, ...next });
      if (!page.ok) throw new Error(page.error.code);
      seen.push(...page.value.rows.map((row) => row.sequence));
      if (page.value.nextBefore === null) break;
      if (page.value.nextCursor === null) throw new Error('a next page without its cursor');
      next = { before: page.value.nextBefore, cursor: page.value.nextCursor };
    }
    expect(seen).toHaveLength(8);
    const searches = (await auditRows('agent-audit-search')).slice(searchesBefore);
    expect(searches).toHaveLength(1);
    expect(searches[0]).toMatchObject({ outcome: 'success', details: { action: 'agent-lookup', before: null } });
  });

  it('a page asked for without a valid cursor is audited: a direct page is a new search, a forged cursor is refused', async () => {
    for (let i = 0; i < 4; i += 1) await lookUpPeople(h.ctx, { token: helpdeskToken, query: `maria ${i}` });
    const first = await search({ action: 'agent-lookup', limit: 2 });
    if (!first.ok || first.value.nextBefore === null || first.value.nextCursor === null) throw new Error('no page 2');
    const { nextBefore: before, nextCursor: cursor } = first.value;
    const searchesBefore = (await auditRows('agent-audit-search')).length;

    expect(await search({ action: 'agent-lookup', limit: 2, before })).toMatchObject({ ok: true });
    const direct = (await auditRows('agent-audit-search')).slice(searchesBefore);
    expect(direct).toHaveLength(1);
    expect(direct[0]).toMatchObject({ outcome: 'success', details: { before } });

    const otherAuditor = await h.personCard('Otto Auditor');
    await h.grant(otherAuditor, 'auditor');
    const otherToken = await h.signInAgent(otherAuditor);
    const forged: Array<[Parameters<typeof search>[0], string?]> = [
      [{ action: 'agent-lookup', limit: 2, before, cursor: 'A'.repeat(43) }],
      [{ action: 'agent-lookup', limit: 2, before: before - 1, cursor }],
      [{ action: 'agent-suspend', limit: 2, before, cursor }],
      [{ action: 'agent-lookup', limit: 2, cursor }],
      [{ action: 'agent-lookup', limit: 2, before, cursor }, otherToken],
    ];
    const refusalsBefore = (await auditRows('agent-audit-search')).filter(
      (row) => row.code === 'audit-filter-invalid',
    ).length;
    for (const [query, token] of forged)
      expect(await search(query, token), JSON.stringify(query)).toEqual({
        ok: false,
        error: { code: 'audit-filter-invalid', detail: 'cursor' },
      });
    const refusals = (await auditRows('agent-audit-search')).filter((row) => row.code === 'audit-filter-invalid');
    expect(refusals.slice(refusalsBefore).map((row) => row.details.filter)).toEqual(forged.map(() => 'cursor'));
    // The cursor itself still continues its own search, unaudited.
    const searchesNow = (await auditRows('agent-audit-search')).length;
    expect(await search({ action: 'agent-lookup', limit: 2, before, cursor })).toMatchObject({ ok: true });
    expect(await auditRows('agent-audit-search')).toHaveLength(searchesNow);
  });
});
