// The kiosks an agent sees at the console (GET /agent/kiosks): real kiosk keys registered as an administrator does,
// signed heartbeats through the issuer's own rule, real SQLite, a fixed clock. Problems first; a kiosk gone silent
// turns stale; any console role may read the list (the auditor too); a person's card or a forged token may not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KioskHeartbeatReport } from '../../../../contracts/kiosk-heartbeat.ts';
import { watchKiosks } from '../../../../issuer/agent/agent-kiosks.ts';
import { recordKioskHeartbeat } from '../../../../issuer/kiosks/kiosk-heartbeat.ts';
import { registerKiosk, revokeKiosk } from '../../../../issuer/kiosks/kiosk-registry.ts';
import { KIOSK_STALE_AFTER_MS } from '../../../../issuer/kiosks/list-kiosks.ts';
import { signedHeartbeat } from '../../../../main/heartbeat/kiosk-heartbeat.ts';
import { loadOrCreateKioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

const HEALTHY: KioskHeartbeatReport = {
  reader: 'no-card',
  cardService: 'running',
  lastErrors: [],
  appVersion: '1.2.3',
};

let h: AgentHarness;
let keys: string;

beforeEach(async () => {
  h = await startAgentHarness();
  keys = mkdtempSync(join(tmpdir(), 'dck-agent-kiosks-'));
});
afterEach(async () => {
  await h.close();
  rmSync(keys, { recursive: true, force: true });
});

/** A kiosk registered by an administrator; `beat` sends a signed heartbeat through the issuer's rule at the clock. */
async function kiosk(name: string): Promise<{ beat: (report: KioskHeartbeatReport) => Promise<void> }> {
  const identity = loadOrCreateKioskIdentity(join(keys, name, 'kiosk.key.pem'), name);
  await registerKiosk(h.ctx.storage, name, identity.publicKeyPem, 'admin:test', h.ctx.now());
  return {
    beat: async (report) => {
      const answer = await recordKioskHeartbeat(h.ctx, signedHeartbeat(identity, report, h.ctx.now()), '127.0.0.1');
      if (!answer.ok) throw new Error(answer.error.code);
    },
  };
}

async function agentToken(role: 'helpdesk' | 'auditor' | 'approver' | 'admin'): Promise<string> {
  const card = await h.personCard(`Agent ${role}`);
  await h.grant(card, role);
  return h.signInAgent(card);
}

describe('the kiosks at the console', () => {
  it('lists every kiosk with last seen and states, problems first; a silent kiosk turns stale', async () => {
    const token = await agentToken('helpdesk');
    const atrium = await kiosk('atrium');
    const lobby = await kiosk('lobby');
    await kiosk('basement');
    await atrium.beat(HEALTHY);
    const lobbyErrorAt = h.ctx.now().getTime() - 5_000;
    await lobby.beat({
      ...HEALTHY,
      reader: 'no-reader',
      lastErrors: [{ at: lobbyErrorAt, code: 'no-reader' }],
    });
    const seenAt = h.ctx.now().toISOString();
    const listed = await watchKiosks(h.ctx, token);
    expect(listed).toEqual({
      ok: true,
      value: {
        kiosks: [
          {
            name: 'basement',
            lastSeenAt: null,
            reader: null,
            cardService: null,
            appVersion: null,
            problems: [{ kind: 'never-seen' }],
          },
          {
            name: 'lobby',
            lastSeenAt: seenAt,
            reader: 'no-reader',
            cardService: 'running',
            appVersion: '1.2.3',
            problems: [
              { kind: 'reader-down', reader: 'no-reader' },
              { kind: 'recent-error', code: 'no-reader', at: new Date(lobbyErrorAt).toISOString() },
            ],
          },
          {
            name: 'atrium',
            lastSeenAt: seenAt,
            reader: 'no-card',
            cardService: 'running',
            appVersion: '1.2.3',
            problems: [],
          },
        ],
      },
    });

    // Atrium keeps beating, lobby goes silent past the stale limit: lobby says for how long.
    h.advance(KIOSK_STALE_AFTER_MS + 1_000);
    await atrium.beat(HEALTHY);
    const later = await watchKiosks(h.ctx, token);
    if (!later.ok) throw new Error(later.error.code);
    const lobbyNow = later.value.kiosks.find((k) => k.name === 'lobby');
    expect(lobbyNow?.problems[0]).toEqual({ kind: 'heartbeat-stale', silentSeconds: 181 });
    expect(later.value.kiosks.at(-1)).toMatchObject({ name: 'atrium', problems: [] });
  });

  it('a revoked kiosk is listed as revoked; a card-service outage is its own problem', async () => {
    const token = await agentToken('approver');
    const hall = await kiosk('hall');
    await hall.beat({ ...HEALTHY, cardService: 'unavailable' });
    let listed = await watchKiosks(h.ctx, token);
    expect(listed.ok && listed.value.kiosks[0]?.problems).toEqual([
      { kind: 'card-service-down', cardService: 'unavailable' },
    ]);
    await revokeKiosk(h.ctx.storage, 'hall', 'admin:test', h.ctx.now());
    listed = await watchKiosks(h.ctx, token);
    expect(listed.ok && listed.value.kiosks[0]?.problems).toEqual([{ kind: 'revoked' }]);
  });

  it('an auditor and an admin may read it; a forged token may not, and nothing is listed to it', async () => {
    await kiosk('lobby');
    for (const role of ['auditor', 'admin'] as const) {
      const listed = await watchKiosks(h.ctx, await agentToken(role));
      expect(listed.ok && listed.value.kiosks.map((k) => k.name)).toEqual(['lobby']);
    }
    expect(await watchKiosks(h.ctx, 'B'.repeat(43))).toMatchObject({
      ok: false,
      error: { code: 'agent-session-invalid' },
    });
    expect(await watchKiosks(h.ctx, null)).toMatchObject({ ok: false, error: { code: 'agent-session-invalid' } });
  });

  it('reading the list is watching, not activity: it does not keep an idle session alive', async () => {
    const token = await agentToken('helpdesk');
    const idleMs = h.ctx.config.agentConsole.sessionIdleSeconds * 1000;
    h.advance(idleMs - 1_000);
    expect((await watchKiosks(h.ctx, token)).ok).toBe(true);
    h.advance(2_000);
    expect(await watchKiosks(h.ctx, token)).toMatchObject({ ok: false, error: { code: 'agent-session-invalid' } });
  });

  it('a card without a console role is refused (403) and the refusal is audited', async () => {
    const card = await h.personCard('Former Agent');
    await h.grant(card, 'helpdesk');
    const token = await h.signInAgent(card);
    await h.withdraw(card, 'helpdesk');
    expect(await watchKiosks(h.ctx, token)).toMatchObject({ ok: false, error: { code: 'agent-forbidden' } });
    expect(await h.auditCodes()).toContainEqual(['agent-forbidden', 'agent-forbidden']);
  });
});
