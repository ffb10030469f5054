// The agent console for a newcomer: the demo environment (embedded issuer, private pcscd) with a virtual agent card
// ("Dana Desk", PIN 123456) in its reader, granted `helpdesk` and `approver` in the issuer's database (as
// `dck admin agents grant` would), and the console served by the browser host. `dck agent --browser --demo` and the
// end-to-end tests start exactly this; the help-desk demo (demo-help-desk.ts) starts the same console on an
// environment it shares with a kiosk.
import { RENDERER_DIST } from '../build/renderer-build.ts';
import { agentIdentityKey, grantAgentRole } from '../issuer/agent/agent-roles.ts';
import type { AgentRole } from '../contracts/agent-api.ts';
import type { KioskCardPort } from '../main/card/card-port.ts';
import { startBrowserConsole } from '../main/console/browser-console.ts';
import type { BrowserConsole } from '../main/console/browser-console.ts';
import type { ConsoleLog } from '../main/console/console-controller.ts';
import type { ThreadedVirtualCard } from '../virtual-card/threaded-virtual-card.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';

export const DEMO_AGENT_NAME = 'Dana Desk';
const DEMO_AGENT_ROLES: readonly AgentRole[] = ['helpdesk', 'approver'];

/** How the console and its browser host differ from the defaults. */
export interface ConsoleInBrowserOptions {
  readonly port?: number;
  readonly rendererDir?: string;
  /** The roles the virtual agent card gets (default helpdesk + approver). */
  readonly roles?: readonly AgentRole[];
  readonly consoleLog?: ConsoleLog;
  /** How often the console reads the kiosk list (tests shorten it). */
  readonly kioskPollMs?: number;
}

export interface DemoConsoleOptions
  extends Omit<DemoEnvironmentOptions, 'virtualCard' | 'cardholderName'>, ConsoleInBrowserOptions {}

export interface DemoConsole {
  readonly demo: DemoEnvironment;
  readonly console: BrowserConsole;
  stop(): Promise<void>;
}

/**
 * The console on a running demo environment: the virtual `agentCard` granted its roles, the console reading `card`
 * (the port of the agent card's reader) and served by the browser host, then the card put in. Stopping the console
 * stops its card port; the environment and the card stay.
 */
export async function startConsoleOn(
  demo: DemoEnvironment,
  agentCard: ThreadedVirtualCard,
  card: KioskCardPort,
  options: ConsoleInBrowserOptions = {},
): Promise<BrowserConsole> {
  const identity = agentIdentityKey('uuid', agentCard.identity.uuid);
  for (const role of options.roles ?? DEMO_AGENT_ROLES)
    await grantAgentRole(demo.issuer.storage, identity, role, { kind: 'admin', id: 'demo' }, new Date());
  const browserConsole = await startBrowserConsole({
    card,
    issuerUrl: demo.issuer.url,
    trustedCaPem: demo.issuer.tlsCertificatePem,
    rendererDir: options.rendererDir ?? RENDERER_DIST,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.consoleLog === undefined ? {} : { log: options.consoleLog }),
    ...(options.kioskPollMs === undefined ? {} : { kioskPollMs: options.kioskPollMs }),
  });
  try {
    // The agent's card is in the reader at their desk: the console opens on its PIN screen.
    await agentCard.insert();
  } catch (error: unknown) {
    await browserConsole.stop();
    throw error;
  }
  return browserConsole;
}

export async function startDemoConsole(options: DemoConsoleOptions = {}): Promise<DemoConsole> {
  const demo = await startDemoEnvironment({ ...options, virtualCard: 'always', cardholderName: DEMO_AGENT_NAME });
  try {
    const agentCard = demo.virtualCard;
    if (agentCard === null) throw new Error('the demo environment started without its virtual card');
    const browserConsole = await startConsoleOn(demo, agentCard, demo.card, options);
    return {
      demo,
      console: browserConsole,
      stop: async () => {
        await browserConsole.stop();
        await demo.stop();
      },
    };
  } catch (error: unknown) {
    await demo.stop();
    throw error;
  }
}
