// The maintenance job's retention of the help-desk records (issuer/maintenance/maintenance-job.ts) on a fixed clock
// and real storage: agent sessions that ended (signed out, idle, past their cap) are deleted a day later; decided
// revocation requests 90 days after the decision; live sessions and undecided requests stay; one audit row per run
// with the counts; nothing and no row when there is nothing to delete.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMaintenance } from '../../../../issuer/maintenance/maintenance-job.ts';
import type { MaintenanceJob } from '../../../../issuer/maintenance/maintenance-job.ts';
import type { RevocationRequestRecord } from '../../../../issuer/storage/issuer-storage.ts';
import { startAgentHarness } from '../agent/agent-harness.ts';
import type { AgentHarness } from '../agent/agent-harness.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

let h: AgentHarness;
let dataDir: string;
let job: MaintenanceJob;
beforeEach(async () => {
  h = await startAgentHarness();
  dataDir = mkdtempSync(join(tmpdir(), 'dck-maintenance-'));
  job = startMaintenance({ storage: h.ctx.storage, config: h.ctx.config, dataDir, now: h.ctx.now, warn: () => {} });
});
afterEach(async () => {
  await job.stop();
  await h.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const purgeRows = async () =>
  (await h.ctx.storage.listAudit(0, 10_000)).filter((row) => row.event === 'purge-agent-records');

/** A signed-in agent's session id (and the card id behind it). */
async function agentSession(name: string): Promise<{ sessionId: string; cardId: string }> {
  const card = await h.personCard(name);
  await h.grant(card, 'approver');
  await h.signInAgent(card);
  const [row] = (await h.ctx.storage.listAudit(0, 10_000)).filter((r) => r.event === 'agent-sign-in').slice(-1);
  return { sessionId: String(row?.details.sessionId), cardId: String(row?.details.cardId) };
}

async function request(id: string, cardId: string, status: RevocationRequestRecord['status']) {
  const at = h.ctx.now().getTime();
  const entry = { at, event: 'test', outcome: 'success' as const, code: null, details: {} };
  await h.ctx.storage.insertRevocationRequest(
    {
      id,
      targetKind: 'card',
      target: cardId,
      cardId,
      reason: 'superseded',
      note: 'test',
      requestedByCardId: cardId,
      requestedAt: at,
      status: 'pending',
      decidedByCardId: null,
      decidedAt: null,
    },
    entry,
  );
  if (status !== 'pending')
    await h.ctx.storage.moveRevocationRequest(id, { from: 'pending', to: status, byCardId: cardId, at }, entry);
}

describe('maintenance: help-desk retention', () => {
  it('defaults: ended sessions kept a day, decided requests 90 days', () => {
    expect(h.ctx.config.maintenance.agentSessionRetentionSeconds).toBe(86_400);
    expect(h.ctx.config.maintenance.revocationRequestRetentionDays).toBe(90);
  });

  it('deletes what ended before its retention, keeps the rest, one audit row with the counts', async () => {
    const signedOut = await agentSession('Sam Signedout');
    await agentSession('Liv Idle');
    const { cardId } = signedOut;
    const at = h.ctx.now().getTime();
    const entry = { at, event: 'test', outcome: 'success' as const, code: null, details: {} };
    await h.ctx.storage.endAgentSession(signedOut.sessionId, at, entry);
    await request('decided-1', cardId, 'approved');
    await request('decided-2', cardId, 'rejected');
    await request('waiting', cardId, 'pending');
    // Nothing ended a day ago yet: no deletion, no audit row.
    expect((await job.runOnce()).agentPurged).toEqual({ agentSessions: 0, revocationRequests: 0 });
    expect(await purgeRows()).toEqual([]);

    // A day and an hour later: the signed-out session and the one left idle (15 min) go; requests stay (90 days).
    h.advance(DAY_MS + HOUR_MS);
    expect((await job.runOnce()).agentPurged).toEqual({ agentSessions: 2, revocationRequests: 0 });

    h.advance(90 * DAY_MS);
    expect((await job.runOnce()).agentPurged).toEqual({ agentSessions: 0, revocationRequests: 2 });
    expect(await h.ctx.storage.findRevocationRequest('decided-1')).toBeNull();
    expect(await h.ctx.storage.findRevocationRequest('decided-2')).toBeNull();
    expect(await h.ctx.storage.findRevocationRequest('waiting')).toMatchObject({ status: 'pending' });
    const rows = await purgeRows();
    expect(rows.map((row) => [row.details.agentSessions, row.details.revocationRequests])).toEqual([
      [2, 0],
      [0, 2],
    ]);
  });

  it('a session still alive is kept, however old its start', async () => {
    const card = await h.personCard('Ada Active');
    await h.grant(card, 'helpdesk');
    await h.signInAgent(card);
    h.advance(5 * 60_000);
    expect((await job.runOnce()).agentPurged).toEqual({ agentSessions: 0, revocationRequests: 0 });
  });
});
