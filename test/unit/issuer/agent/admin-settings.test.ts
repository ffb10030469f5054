// Tenant settings over the admin routes: only an agent with the admin role, the same rules and audit row as
// `dck admin tenant set` with the agent as actor; a refused change changes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeSettings, showTenantSettings } from '../../../../issuer/agent/admin-settings.ts';
import { startAgentHarness } from './agent-harness.ts';
import type { AgentHarness } from './agent-harness.ts';

let h: AgentHarness;
beforeEach(async () => {
  h = await startAgentHarness();
});
afterEach(async () => {
  await h.close();
});

describe('admin tenant settings', () => {
  it('an admin turns four eyes on, audited with the agent as actor; a helpdesk agent gets 403', async () => {
    const admin = await h.personCard('Ada Admin');
    await h.grant(admin, 'admin');
    const token = await h.signInAgent(admin);
    expect(await showTenantSettings(h.ctx, token)).toMatchObject({ ok: true, value: { validateCancellation: false } });
    expect(await changeSettings(h.ctx, { token, changes: { validateCancellation: 'on' } })).toMatchObject({
      ok: true,
      value: { validateCancellation: true },
    });
    const [row] = (await h.ctx.storage.listAudit(0, 1000)).filter((entry) => entry.event === 'tenant-settings');
    expect(row?.details).toMatchObject({ actorKind: 'agent', 'validateCancellation.after': true });

    const helpdesk = await h.personCard('Hal Helpdesk');
    await h.grant(helpdesk, 'helpdesk');
    const helpdeskToken = await h.signInAgent(helpdesk);
    expect(
      await changeSettings(h.ctx, { token: helpdeskToken, changes: { validateCancellation: 'off' } }),
    ).toMatchObject({ ok: false, error: { code: 'agent-forbidden' } });
    expect(await showTenantSettings(h.ctx, helpdeskToken)).toMatchObject({
      ok: false,
      error: { code: 'agent-forbidden' },
    });
  });

  it('an unknown setting or a bad value is 400 tenant-setting-invalid, audited, and nothing changes', async () => {
    const admin = await h.personCard('Ada Admin');
    await h.grant(admin, 'admin');
    const token = await h.signInAgent(admin);
    const refusedChanges: Record<string, string>[] = [
      { supervision: 'always' },
      { validateCancellation: 'on', colour: 'blue' },
    ];
    for (const changes of refusedChanges)
      expect(await changeSettings(h.ctx, { token, changes }), JSON.stringify(changes)).toMatchObject({
        ok: false,
        error: { code: 'tenant-setting-invalid' },
      });
    expect(await showTenantSettings(h.ctx, token)).toMatchObject({
      value: { validateCancellation: false, supervision: 'none' },
    });
    const refused = (await h.ctx.storage.listAudit(0, 1000)).filter((entry) => entry.code === 'tenant-setting-invalid');
    expect(refused).toHaveLength(2);
  });
});
