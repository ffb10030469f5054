// A kiosk and the agent console at one help desk: one demo environment (embedded issuer, one private pcscd with two
// readers), the person's virtual card (PIN 123456) in the first reader, read by the kiosk, and the agent's (Dana
// Desk, PIN 123456, helpdesk + approver) in the second, read by the console. Each host is bound to its own reader
// (main/card/reader-binding.ts): unbound, each would take the first card inserted anywhere. The two cards are two
// people (their own UUIDs and FASC-Ns: the issuer treats the same FASC-N as the same person). The two-reader
// end-to-end test starts exactly this.
import { encodeFascn } from '../piv/index.ts';
import { cardPortOnReader } from '../main/card/reader-binding.ts';
import type { BrowserConsole } from '../main/console/browser-console.ts';
import { createSmartCardService } from '../native/pcsc/index.ts';
import { startThreadedVirtualCard } from '../virtual-card/threaded-virtual-card.ts';
import type { ThreadedVirtualCard } from '../virtual-card/threaded-virtual-card.ts';
import { startBrowserKioskOn } from './browser-kiosk.ts';
import type { KioskInBrowser, KioskInBrowserOptions } from './browser-kiosk.ts';
import { DEMO_AGENT_NAME, startConsoleOn } from './demo-console.ts';
import type { ConsoleInBrowserOptions } from './demo-console.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';

/** The agent card's FASC-N: another credential number than the person's (DEFAULT_TEST_FASCN_HEX, 999999). */
export const DEMO_AGENT_FASCN_HEX = Buffer.from(
  encodeFascn({
    agencyCode: '9999',
    systemCode: '9999',
    credentialNumber: '424242',
    credentialSeries: '0',
    individualCredentialIssue: '1',
    personIdentifier: '4242424242',
    organizationalCategory: '3',
    organizationalIdentifier: '0000',
    personOrganizationAssociation: '1',
  }),
).toString('hex');

export interface DemoHelpDeskOptions extends Omit<DemoEnvironmentOptions, 'virtualCard' | 'reader'> {
  readonly kiosk?: KioskInBrowserOptions;
  readonly console?: ConsoleInBrowserOptions;
}

export interface DemoHelpDesk {
  readonly demo: DemoEnvironment;
  /** The kiosk, bound to the first reader. */
  readonly kiosk: KioskInBrowser;
  /** The agent console, bound to the second reader. */
  readonly console: BrowserConsole;
  /** The person's card, in the kiosk's reader (the demo environment's virtual card). */
  readonly personCard: ThreadedVirtualCard;
  /** The agent's card, in the console's reader (inserted at start). */
  readonly agentCard: ThreadedVirtualCard;
  readonly kioskReader: string;
  readonly consoleReader: string;
  stop(): Promise<void>;
}

export async function startDemoHelpDesk(options: DemoHelpDeskOptions = {}): Promise<DemoHelpDesk> {
  const demo = await startDemoEnvironment({ ...options, virtualCard: 'always' });
  const started: { stop(): Promise<void> }[] = [];
  const stopStarted = async (): Promise<void> => {
    for (const part of started.splice(0).reverse()) await part.stop();
  };
  try {
    const personCard = demo.virtualCard;
    const pcsc = demo.pcsc;
    if (personCard === null || pcsc === null) throw new Error('the demo environment started without its virtual card');
    const agentCard = await startThreadedVirtualCard({
      profile: 'p256',
      port: pcsc.vpcdPort + 1,
      pki: demo.pki,
      commonName: DEMO_AGENT_NAME,
      fascnHex: DEMO_AGENT_FASCN_HEX,
    });
    started.push(agentCard);
    const kiosk = await startBrowserKioskOn(
      demo,
      await cardPortOnReader(createSmartCardService(), pcsc.readerName),
      options.kiosk,
    );
    started.push(kiosk);
    const agentConsole = await startConsoleOn(
      demo,
      agentCard,
      await cardPortOnReader(createSmartCardService(), pcsc.secondReaderName),
      options.console,
    );
    started.push(agentConsole);
    return {
      demo,
      kiosk,
      console: agentConsole,
      personCard,
      agentCard,
      kioskReader: pcsc.readerName,
      consoleReader: pcsc.secondReaderName,
      stop: async () => {
        await stopStarted();
        await demo.stop();
      },
    };
  } catch (error: unknown) {
    await stopStarted();
    await demo.stop();
    throw error;
  }
}
