// The agent console for a newcomer: the demo environment (embedded issuer, private pcscd) with a virtual agent card
// ("Dana Desk", PIN 123456) in its reader, granted `helpdesk` and `approver` in the issuer's database (as
// `dck admin agents grant` would), and the console served by the browser host. `dck agent --browser --demo` and the
// end-to-end tests start exactly this.
import { RENDERER_DIST } from '../build/renderer-build.ts';
import { agentIdentityKey, grantAgentRole } from '../issuer/agent/agent-roles.ts';
import type { AgentRole } from '../contracts/agent-api.ts';
import { startBrowserConsole } from '../main/console/browser-console.ts';
import type { BrowserConsole } from '../main/console/browser-console.ts';
import type { ConsoleLog } from '../main/console/console-controller.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';

export const DEMO_AGENT_NAME = 'Dana Desk';
const DEMO_AGENT_ROLES: readonly AgentRole[] = ['helpdesk', 'approver'];

export interface DemoConsoleOptions extends Omit<DemoEnvironmentOptions, 'virtualCard' | 'cardholderName'> {
  readonly port?: number;
  readonly rendererDir?: string;
  /** The roles the virtual agent card gets (default helpdesk + approver). */
  readonly roles?: readonly AgentRole[];
  readonly consoleLog?: ConsoleLog;
}

export interface DemoConsole {
  readonly demo: DemoEnvironment;
  readonly console: BrowserConsole;
  stop(): Promise<void>;
}

export async function startDemoConsole(options: DemoConsoleOptions = {}): Promise<DemoConsole> {
  const demo = await startDemoEnvironment({ ...options, virtualCard: 'always', cardholderName: DEMO_AGENT_NAME });
  try {
    const agentCard = demo.virtualCard;
    if (agentCard === null) throw new Error('the demo environment started without its virtual card');
    const identity = agentIdentityKey('uuid', agentCard.identity.uuid);
    for (const role of options.roles ?? DEMO_AGENT_ROLES)
      await grantAgentRole(demo.issuer.storage, identity, role, { kind: 'admin', id: 'demo' }, new Date());
    const browserConsole = await startBrowserConsole({
      card: demo.card,
      issuerUrl: demo.issuer.url,
      trustedCaPem: demo.issuer.tlsCertificatePem,
      rendererDir: options.rendererDir ?? RENDERER_DIST,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.consoleLog === undefined ? {} : { log: options.consoleLog }),
    });
    // The agent's card is in the reader at their desk: the console opens on its PIN screen.
    await agentCard.insert();
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
