// The tenant settings over HTTP for an agent with the `admin` role (issue 10's admin API, on the console's sign-in):
// the same rules and audit row as `dck admin tenant set` (lifecycle/tenant-settings.ts), the agent as actor.
import type { IssuerContext } from '../issuer-context.ts';
import { TenantSettingError, changeTenantSettings, readTenantSettings } from '../lifecycle/tenant-settings.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { authenticateAgent } from './agent-session.ts';

export async function showTenantSettings(
  ctx: IssuerContext,
  token: string | null,
): Promise<RouteRuleResult<'adminTenantSettings'>> {
  const caller = await authenticateAgent(ctx, token, 'administer');
  if (!caller.ok) return caller;
  return ok({ ...(await readTenantSettings(ctx.storage, ctx.config)) });
}

export async function changeSettings(
  ctx: IssuerContext,
  input: { token: string | null; changes: Record<string, string> },
): Promise<RouteRuleResult<'adminChangeTenantSettings'>> {
  const caller = await authenticateAgent(ctx, input.token, 'administer');
  if (!caller.ok) return caller;
  try {
    const actor = { kind: 'agent', id: caller.value.card.id } as const;
    return ok({ ...(await changeTenantSettings(ctx.storage, ctx.config, input.changes, actor, ctx.now())) });
  } catch (error: unknown) {
    if (!(error instanceof TenantSettingError)) throw error;
    return auditedRefusal(
      ctx,
      'tenant-settings',
      'tenant-setting-invalid',
      { agentCardId: caller.value.card.id, setting: error.setting.slice(0, 64) },
      { detail: error.message },
    );
  }
}
