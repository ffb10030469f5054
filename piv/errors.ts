/**
 * The one error class of the PIV card edge. Callers switch on `code`, never on message text.
 * Messages describe what happened in plain words and never contain PIN bytes or other secrets:
 * no constructor here accepts secret data.
 */
import { describeStatusWord, isVerifyCounter, SW } from './status-words.ts';

export type PivErrorCode =
  // Card answers (status words).
  | 'wrong-pin' // 63Cx after VERIFY with a PIN; triesLeft is set
  | 'pin-blocked' // 6983
  | 'not-found' // 6A82: object or application absent
  | 'security-status' // 6982: PIN (or other authentication) needed first
  | 'reference-data-not-usable' // 6984
  | 'conditions-not-satisfied' // 6985 / 6986
  | 'incorrect-data' // 6A80
  | 'function-not-supported' // 6A81
  | 'incorrect-parameters' // 6A86 / 6B00
  | 'reference-not-found' // 6A88: e.g. no key in that slot
  | 'wrong-length' // 6700 / 6Cxx loops
  | 'instruction-not-supported' // 6D00
  | 'class-not-supported' // 6E00
  | 'chaining-not-supported' // 6883 / 6884
  | 'memory-failure' // 6581 / 6A84
  | 'unexpected-status' // anything else
  // Host-side checks.
  | 'pin-format' // PIN is not 6-8 ASCII digits; nothing was sent
  | 'last-try-refused' // one try left and the caller did not allow using it; nothing was sent
  | 'malformed-tlv'
  | 'malformed-response' // shorter than a status word, wrong shape
  | 'response-too-large' // response chaining past the cap
  | 'data-too-large' // command data that no APDU form can carry
  | 'malformed-fascn'
  | 'malformed-object' // a data object with missing/invalid parts
  | 'malformed-certificate'
  | 'unsupported-algorithm'
  | 'invalid-argument'
  // Raised by transports (PC/SC layer, test doubles).
  | 'card-removed'
  | 'transport-failure'
  | 'card-timeout'; // a command (with its chaining and GET RESPONSEs) missed its deadline; the channel is done

export interface PivErrorDetails {
  /** SW1SW2 when the error comes from a card answer. */
  readonly sw?: number;
  /** Tries left after a wrong PIN. */
  readonly triesLeft?: number;
  readonly cause?: unknown;
}

export class PivError extends Error {
  override readonly name = 'PivError';
  readonly code: PivErrorCode;
  readonly sw: number | undefined;
  readonly triesLeft: number | undefined;

  constructor(code: PivErrorCode, message: string, details: PivErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.sw = details.sw;
    this.triesLeft = details.triesLeft;
  }
}

export function isPivError(value: unknown, code?: PivErrorCode): value is PivError {
  return value instanceof PivError && (code === undefined || value.code === code);
}

function codeForStatusWord(sw: number): PivErrorCode {
  if (isVerifyCounter(sw)) return 'wrong-pin';
  switch (sw) {
    case SW.AUTH_METHOD_BLOCKED:
      return 'pin-blocked';
    case SW.FILE_NOT_FOUND:
      return 'not-found';
    case SW.SECURITY_STATUS_NOT_SATISFIED:
      return 'security-status';
    case SW.REFERENCE_DATA_NOT_USABLE:
      return 'reference-data-not-usable';
    case SW.CONDITIONS_NOT_SATISFIED:
    case SW.COMMAND_NOT_ALLOWED:
      return 'conditions-not-satisfied';
    case SW.INCORRECT_DATA:
      return 'incorrect-data';
    case SW.FUNCTION_NOT_SUPPORTED:
      return 'function-not-supported';
    case SW.INCORRECT_P1P2:
    case SW.WRONG_P1P2:
      return 'incorrect-parameters';
    case SW.REFERENCE_NOT_FOUND:
      return 'reference-not-found';
    case SW.WRONG_LENGTH:
      return 'wrong-length';
    case SW.INS_NOT_SUPPORTED:
      return 'instruction-not-supported';
    case SW.CLA_NOT_SUPPORTED:
      return 'class-not-supported';
    case SW.LAST_COMMAND_EXPECTED:
    case SW.COMMAND_CHAINING_NOT_SUPPORTED:
      return 'chaining-not-supported';
    case SW.MEMORY_FAILURE:
    case SW.NOT_ENOUGH_MEMORY:
      return 'memory-failure';
    default:
      return 'unexpected-status';
  }
}

/** The typed error for a non-success status word answered to `command` (e.g. "GET DATA 5FC105"). */
export function errorForStatusWord(sw: number, command: string): PivError {
  const code = codeForStatusWord(sw);
  const triesLeft = code === 'wrong-pin' ? sw & 0x0f : undefined;
  return new PivError(code, `${command}: card answered ${describeStatusWord(sw)}`, { sw, triesLeft });
}
