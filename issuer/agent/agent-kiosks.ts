// The kiosks as the agent console lists them (GET /agent/kiosks): every registered kiosk with its last heartbeat's
// reader and card-service states and its problems (issuer/kiosks/list-kiosks.ts), those with problems first. Any
// console role may read it, the auditor too (AGENT_PERMISSIONS.read): it names kiosks and their states, no person.
import type { AgentKiosk } from '../../contracts/agent-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import type { KioskOverview } from '../kiosks/list-kiosks.ts';
import { listKiosks } from '../kiosks/list-kiosks.ts';
import { ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { authenticateAgent } from './agent-session.ts';

function agentKiosk(kiosk: KioskOverview): AgentKiosk {
  return {
    name: kiosk.name,
    lastSeenAt: kiosk.lastSeenAt,
    reader: kiosk.report?.reader ?? null,
    cardService: kiosk.report?.cardService ?? null,
    appVersion: kiosk.report?.appVersion ?? null,
    problems: kiosk.problems,
  };
}

/** Problems first (the ones to act on), then by name; storage already orders by name and the sort is stable. */
export function problemsFirst(kiosks: readonly AgentKiosk[]): AgentKiosk[] {
  return [...kiosks].sort((a, b) => Number(b.problems.length > 0) - Number(a.problems.length > 0));
}

export async function watchKiosks(ctx: IssuerContext, token: string | null): Promise<RouteRuleResult<'agentKiosks'>> {
  // Watching is not activity (as the queue stream): the console reads this on a timer, so it must not keep an idle
  // session alive.
  const caller = await authenticateAgent(ctx, token, 'read', { renew: false });
  if (!caller.ok) return caller;
  const kiosks = await listKiosks(ctx.storage, ctx.now());
  return ok({ kiosks: problemsFirst(kiosks.map(agentKiosk)) });
}
