// `dck virtual-card`: runs the project's virtual PIV card (virtual-card/) attached to vsmartcard's
// vpcd, for demos (the kiosk offers it when no reader holds a card) and tests. It stays inserted
// until SIGINT/SIGTERM; when pcscd goes away it waits and inserts itself again.
//
// Exit codes: 0 stopped by a signal, 1 could not start, 2 wrong command line.
import { readFileSync } from 'node:fs';
import { DEMO_PIN, PROFILE_NAMES, isProfileName } from '../../virtual-card/profiles.ts';
import type { ProfileName } from '../../virtual-card/profiles.ts';
import { VPCD_DEFAULT_PORT, startVirtualCard } from '../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../virtual-card/virtual-card.ts';
import { integerOption, parseArgs, printable, UsageError } from '../args.ts';

export const summary = 'run the virtual PIV card (demo card, PIN 123456) on vsmartcard vpcd';

const USAGE = `usage: dck virtual-card [--profile NAME] [--port PORT] [--host HOST] [--pin-file PATH]

  --profile NAME   ${PROFILE_NAMES.join(', ')} (default rsa2048)
  --port PORT      vpcd port of the reader (default ${VPCD_DEFAULT_PORT}; pcscd names that reader "Virtual PCD 00 00",
                   PORT+1 is "Virtual PCD 00 01")
  --host HOST      where vpcd listens (default 127.0.0.1)
  --pin-file PATH  read the card's PIN (6-8 digits) from a file instead of the demo PIN ${DEMO_PIN}

A demo card: its keys and certificates are generated at start from a throw-away test PKI.
Stops on Ctrl-C (SIGINT) or SIGTERM.`;

const RETRY_MS = 1_000;
const MAX_PIN_FILE_BYTES = 64;

interface Options {
  readonly profile: ProfileName;
  readonly port: number;
  readonly host: string;
  readonly pinFile?: string;
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options: Options;
  let pin: string | undefined;
  try {
    options = parseOptions(args);
    pin = options.pinFile === undefined ? undefined : readPinFile(options.pinFile);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dck virtual-card: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const card = await startVirtualCard({
    profile: options.profile,
    port: options.port,
    host: options.host,
    ...(pin === undefined ? {} : { pin }),
    onDisconnect: (reason) => {
      console.log(`card link lost (${reason}); inserting again when vpcd is back`);
      keepInserted(card, options);
    },
  });
  console.log(`virtual PIV card, profile ${options.profile}`);
  console.log(
    `vpcd ${options.host}:${options.port} (reader "Virtual PCD 00 ${options.port === VPCD_DEFAULT_PORT + 1 ? '01' : '00'}" on a standard pcscd)`,
  );
  console.log(pin === undefined ? `demo PIN ${DEMO_PIN}` : `PIN from ${options.pinFile ?? ''}`);
  console.log(`cardholder UUID ${card.identity.uuid}, FASC-N ${card.identity.fascnHex}`);
  keepInserted(card, options);
  await untilSignal();
  await card.stop();
  console.log(`stopped after ${card.apduCount} APDUs`);
  return 0;
}

/** Inserts the card, retrying every second while vpcd is not there (pcscd stopped or restarting). */
function keepInserted(card: VirtualCard, options: Options): void {
  let warned = false;
  const attempt = (): void => {
    card.insert().then(
      () => console.log('card inserted'),
      (error: unknown) => {
        if (!warned) {
          const reason = error instanceof Error ? error.message : String(error);
          console.log(
            `no vpcd at ${options.host}:${options.port} (${reason}); is pcscd running with vsmartcard-vpcd? retrying`,
          );
          warned = true;
        }
        retryTimer = setTimeout(attempt, RETRY_MS);
      },
    );
  };
  attempt();
}

let retryTimer: NodeJS.Timeout | undefined;

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearTimeout(retryTimer);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function parseOptions(args: readonly string[]): Options {
  const parsed = parseArgs(
    args,
    { '--profile': 'value', '--port': 'value', '--host': 'value', '--pin-file': 'value' },
    'dck virtual-card',
  );
  const profile = parsed['--profile'] ?? 'rsa2048';
  if (!isProfileName(profile))
    throw new UsageError(`unknown profile "${printable(profile, 40)}"; profiles: ${PROFILE_NAMES.join(', ')}`);
  const host = parsed['--host'] ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]{1,255}$/.test(host)) throw new UsageError('--host must be a host name or address');
  const pinFile = parsed['--pin-file'];
  return {
    profile,
    port: integerOption(parsed['--port'], '--port', 1, 65535) ?? VPCD_DEFAULT_PORT,
    host,
    ...(pinFile === undefined ? {} : { pinFile }),
  };
}

/** The file holds 6–8 digits and optionally a newline; the PIN itself is never echoed. */
function readPinFile(path: string): string {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read the PIN file (${code})`);
  }
  if (content.length > MAX_PIN_FILE_BYTES) throw new UsageError('the PIN file must hold only 6 to 8 digits');
  const pin = content.toString('latin1').replace(/\r?\n$/, '');
  content.fill(0);
  if (!/^[0-9]{6,8}$/.test(pin)) throw new UsageError('the PIN file must hold only 6 to 8 digits');
  return pin;
}
