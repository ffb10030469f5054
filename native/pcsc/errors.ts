// Errors of the PC/SC edge as data: a string code a caller can switch on, and a message in plain words
// that a help-desk agent can read. Messages never carry APDU payloads (a VERIFY APDU holds the PIN).

export type SmartCardErrorCode =
  | 'service-unavailable' // pcscd (or the Windows Smart Card service) is not running
  | 'no-reader' // the named reader is not connected
  | 'no-card' // the reader is empty
  | 'card-removed' // the card was pulled while we were talking to it
  | 'reader-busy' // another program holds the card exclusively
  | 'card-unresponsive' // the card did not answer its reset (inserted upside down, dirty contacts)
  | 'transmit-failed' // the reader or card failed an exchange for another reason
  | 'transmit-timeout' // the card did not answer within the time limit
  | 'connection-closed' // the caller already disconnected this connection
  | 'invalid-command'; // the APDU handed to transmit() is empty or too long

const PLAIN_WORDS: Record<SmartCardErrorCode, string> = {
  'service-unavailable': 'smart card service not running',
  'no-reader': 'no such card reader is connected',
  'no-card': 'there is no card in the reader',
  'card-removed': 'the card was removed',
  'reader-busy': 'another program is using the card',
  'card-unresponsive': 'the card does not respond (check it is inserted the right way)',
  'transmit-failed': 'the card reader failed to exchange data with the card',
  'transmit-timeout': 'the card did not answer in time',
  'connection-closed': 'the card connection is already closed',
  'invalid-command': 'the command for the card is empty or too long',
};

export class SmartCardError extends Error {
  override readonly name = 'SmartCardError';

  constructor(
    readonly code: SmartCardErrorCode,
    /** The reader involved, when there is one (reader names are not secret). */
    readonly reader?: string,
    /** The PC/SC library's own words, for diagnostics; never contains APDU data. */
    readonly detail?: string,
  ) {
    super(reader === undefined ? PLAIN_WORDS[code] : `${PLAIN_WORDS[code]} (${reader})`);
  }
}

export function isSmartCardError(error: unknown, code?: SmartCardErrorCode): error is SmartCardError {
  return error instanceof SmartCardError && (code === undefined || error.code === code);
}

/**
 * The `smartcard` addon rejects with plain Errors whose message is pcsc-lite's description of the
 * SCARD_* return code (see its pcsc_errors.h); map those descriptions onto our codes.
 */
export function codeFromPcscMessage(message: string): SmartCardErrorCode {
  const text = message.toLowerCase();
  if (text.includes('service not running') || text.includes('service stopped') || text.includes('no service'))
    return 'service-unavailable';
  if (text.includes('card was removed') || text.includes('no smart card present') || text.includes('unpowered'))
    return 'card-removed';
  if (text.includes('card was reset')) return 'card-removed';
  if (text.includes('sharing violation')) return 'reader-busy';
  if (text.includes('unresponsive')) return 'card-unresponsive';
  if (text.includes('unknown reader') || text.includes('reader unavailable') || text.includes('no readers available'))
    return 'no-reader';
  if (text.includes('timed out')) return 'transmit-timeout';
  return 'transmit-failed';
}

export function toSmartCardError(error: unknown, reader?: string): SmartCardError {
  if (error instanceof SmartCardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // pcsc-lite's descriptions are short fixed strings; cap anyway so nothing unexpected is carried along.
  return new SmartCardError(codeFromPcscMessage(message), reader, message.slice(0, 80));
}
