/**
 * The virtual PIV card: a profile's PIV applet behind a vpcd link.
 *
 *   const card = await startVirtualCard({ profile: 'p256', port: environment.vpcdPort });
 *   await card.insert();   // pcscd sees a card in "Virtual PCD 00 00"
 *   card.apduCount         // APDUs received so far (benchmarks)
 *   await card.remove();
 *   await card.stop();
 *
 * The card answers on this process's event loop: run clients asynchronously (execFile/spawn, never
 * execFileSync) or the card cannot reply and pcscd waits forever.
 */
import { virtualCardAtr } from './atr.ts';
import { PivApplet } from './piv-applet.ts';
import { buildProfile } from './profiles.ts';
import type { BuildProfileOptions, ProfileName, VirtualCardIdentity } from './profiles.ts';
import type { TestPki } from './test-pki.ts';
import { VpcdLink } from './vpcd-link.ts';

export const VPCD_DEFAULT_PORT = 35963;

export interface StartVirtualCardOptions {
  /** Default 'rsa2048'. */
  readonly profile?: ProfileName;
  /** vpcd port of the reader (PcscEnvironment.vpcdPort, or +1 for its second reader). Default 35963. */
  readonly port?: number;
  readonly host?: string;
  /** Issue the card's certificates from this PKI (so an issuer under test can trust it). */
  readonly pki?: TestPki;
  readonly commonName?: string;
  readonly uuid?: string;
  /**
   * The FASC-N (hex, 25 bytes) in the certificates and the CHUID; default DEFAULT_TEST_FASCN_HEX. Give two cards
   * different ones when they stand for different people: the issuer treats the same FASC-N as the same person.
   */
  readonly fascnHex?: string;
  /** Primary PIN instead of the demo PIN 123456. */
  readonly pin?: string;
  /** Insert right away (default false). */
  readonly insert?: boolean;
  /** Told when vpcd drops the connection without remove() (e.g. pcscd stopped). */
  readonly onDisconnect?: (reason: string) => void;
  /**
   * Sees every exchange, e.g. to assert which objects a client read. PIN-carrying commands (VERIFY,
   * CHANGE REFERENCE DATA, RESET RETRY COUNTER) arrive with their data zeroed.
   */
  readonly onApdu?: (command: Uint8Array, response: Uint8Array) => void;
}

export interface VirtualCard {
  readonly identity: VirtualCardIdentity;
  readonly applet: PivApplet;
  readonly port: number;
  /** Command APDUs the card has received since it started. */
  readonly apduCount: number;
  readonly inserted: boolean;
  insert(): Promise<void>;
  remove(): Promise<void>;
  stop(): Promise<void>;
}

/** What a started card passes on to buildProfile (threaded-virtual-card.ts starts cards the same way). */
export function profileOptionsOf(
  options: Pick<StartVirtualCardOptions, 'pki' | 'commonName' | 'uuid' | 'fascnHex' | 'pin'>,
): BuildProfileOptions {
  return {
    ...(options.pki ? { pki: options.pki } : {}),
    ...(options.commonName ? { commonName: options.commonName } : {}),
    ...(options.uuid ? { uuid: options.uuid } : {}),
    ...(options.fascnHex ? { fascnHex: options.fascnHex } : {}),
    ...(options.pin ? { pin: options.pin } : {}),
  };
}

/** The applet behind a vpcd link: power events reset it, APDUs go to it (`onApdu` sees them with PINs zeroed). */
export function appletLink(
  applet: PivApplet,
  options: Pick<StartVirtualCardOptions, 'onApdu' | 'onDisconnect'> & { readonly host: string; readonly port: number },
): VpcdLink {
  return new VpcdLink({
    host: options.host,
    port: options.port,
    card: {
      atr: virtualCardAtr(),
      powerOn: () => applet.reset(),
      powerOff: () => applet.reset(),
      reset: () => applet.reset(),
      transmit: (apdu) => {
        const response = applet.transmit(apdu);
        options.onApdu?.(redactSecrets(apdu), response);
        return response;
      },
    },
    ...(options.onDisconnect ? { onDisconnect: options.onDisconnect } : {}),
  });
}

export async function startVirtualCard(options: StartVirtualCardOptions = {}): Promise<VirtualCard> {
  const built = await buildProfile(options.profile ?? 'rsa2048', profileOptionsOf(options));
  const applet = new PivApplet(built.applet);
  const port = options.port ?? VPCD_DEFAULT_PORT;
  const link = appletLink(applet, { ...options, host: options.host ?? '127.0.0.1', port });
  const card: VirtualCard = {
    identity: built.identity,
    applet,
    port,
    get apduCount() {
      return applet.apduCount;
    },
    get inserted() {
      return link.connected;
    },
    insert: () => link.insert(),
    remove: () => link.remove(),
    stop: () => link.remove(),
  };
  if (options.insert === true) await card.insert();
  return card;
}

const SECRET_CARRYING_INS = new Set([0x20, 0x24, 0x2c]);

/** A copy of the command with its data zeroed (header and length bytes kept) when it may carry a PIN or PUK. */
function redactSecrets(command: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(command);
  if (!SECRET_CARRYING_INS.has(copy[1] ?? 0)) return copy;
  const extended = copy.length > 7 && copy[4] === 0;
  copy.fill(0, extended ? 7 : 5);
  return copy;
}
