// One reader for one host: a kiosk and an agent console on the same machine (one pcscd, two readers) must each
// follow only their own reader. Unbound, each would take the first card inserted anywhere: the console signed in
// with the person's card, or the kiosk started a session for the agent's. `--reader NAME` (dck kiosk, dck agent)
// names the reader by its exact PC/SC name; the name is checked before anything starts, and a reader that is not
// connected is named together with the readers that are.
import type { SmartCardService } from '../../native/pcsc/index.ts';
import type { KioskCardPort } from './card-port.ts';
import { createPcscCardPort } from './pcsc-card-port.ts';
import type { PcscCardPortOptions } from './pcsc-card-port.ts';

/** pcsc-lite's MAX_READERNAME (reader names are at most 127 characters plus the terminating NUL). */
export const MAX_READER_NAME_LENGTH = 127;

export class ReaderChoiceError extends Error {
  override readonly name = 'ReaderChoiceError';
  constructor(
    readonly code: 'reader-name-invalid' | 'reader-not-connected',
    message: string,
  ) {
    super(message);
  }
}

/** A reader name as typed on a command line or in a configuration: printable text of a PC/SC name's length. */
export function checkReaderName(name: string): string {
  if (name.length === 0 || name.length > MAX_READER_NAME_LENGTH || /[\p{Cc}\p{Cf}]/u.test(name))
    throw new ReaderChoiceError(
      'reader-name-invalid',
      `a reader name is 1 to ${MAX_READER_NAME_LENGTH} printable characters (as \`dck card list\` shows it)`,
    );
  return name;
}

/** Reader names come from drivers: quoted with escapes, so a hostile name cannot rewrite a terminal line. */
const quoted = (name: string): string => JSON.stringify(name);

/**
 * The one check of a reader named with `--reader` (dck kiosk, agent, card, pc) against the readers connected now:
 * its name, or a ReaderChoiceError naming the readers that are there.
 */
export function requireConnectedReader(reader: string, connected: readonly string[]): string {
  const wanted = checkReaderName(reader);
  if (!connected.includes(wanted)) {
    const present =
      connected.length === 0 ? 'no readers are connected' : `readers: ${connected.map(quoted).join(', ')}`;
    throw new ReaderChoiceError('reader-not-connected', `the reader ${quoted(wanted)} is not connected (${present})`);
  }
  return wanted;
}

/** The named reader, asked of the card service now: connected, or a ReaderChoiceError (requireConnectedReader). */
export async function connectedReader(service: SmartCardService, reader: string): Promise<string> {
  return requireConnectedReader(
    reader,
    (await service.listReaders()).map((status) => status.name),
  );
}

/**
 * The card port of one reader: the named reader must be connected now (its card may come later). Events and cards
 * of every other reader are ignored, as if they were not there.
 */
export async function cardPortOnReader(
  service: SmartCardService,
  reader: string,
  options: Omit<PcscCardPortOptions, 'useReader'> = {},
): Promise<KioskCardPort> {
  const wanted = await connectedReader(service, reader);
  return createPcscCardPort(service, { ...options, useReader: (name) => name === wanted });
}
