/**
 * ISO 7816-4 / SP 800-73-4 status words (SW1SW2) the PIV card edge understands, with their names.
 * Families with a variable low byte (61xx, 6Cxx, 63Cx) are recognised by the helpers below.
 */

export const SW = {
  SUCCESS: 0x9000,
  /** 63Cx: verification failed, x tries left (SP 800-73-4 §3.2.1). */
  VERIFY_FAIL_BASE: 0x63c0,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED: 0x6986,
  INCORRECT_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  REFERENCE_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  MEMORY_FAILURE: 0x6581,
  LAST_COMMAND_EXPECTED: 0x6883,
  COMMAND_CHAINING_NOT_SUPPORTED: 0x6884,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([
  [SW.SUCCESS, 'success'],
  [SW.WRONG_LENGTH, 'wrong length'],
  [SW.SECURITY_STATUS_NOT_SATISFIED, 'security status not satisfied'],
  [SW.AUTH_METHOD_BLOCKED, 'authentication method blocked'],
  [SW.REFERENCE_DATA_NOT_USABLE, 'reference data not usable'],
  [SW.CONDITIONS_NOT_SATISFIED, 'conditions of use not satisfied'],
  [SW.COMMAND_NOT_ALLOWED, 'command not allowed'],
  [SW.INCORRECT_DATA, 'incorrect parameters in the data field'],
  [SW.FUNCTION_NOT_SUPPORTED, 'function not supported'],
  [SW.FILE_NOT_FOUND, 'data object or application not found'],
  [SW.NOT_ENOUGH_MEMORY, 'not enough memory'],
  [SW.INCORRECT_P1P2, 'incorrect parameters P1-P2'],
  [SW.REFERENCE_NOT_FOUND, 'referenced data or reference data not found'],
  [SW.WRONG_P1P2, 'wrong parameters P1-P2'],
  [SW.INS_NOT_SUPPORTED, 'instruction not supported'],
  [SW.CLA_NOT_SUPPORTED, 'class not supported'],
  [SW.NO_PRECISE_DIAGNOSIS, 'no precise diagnosis'],
  [SW.MEMORY_FAILURE, 'memory failure'],
  [SW.LAST_COMMAND_EXPECTED, 'last command of the chain expected'],
  [SW.COMMAND_CHAINING_NOT_SUPPORTED, 'command chaining not supported'],
]);

/** 61xx: xx more response bytes are waiting for GET RESPONSE (xx = 00 means 256). */
export function isMoreDataAvailable(sw: number): boolean {
  return (sw & 0xff00) === 0x6100;
}

/** 6Cxx: wrong Le; the card says xx is right (00 means 256). */
export function isWrongLe(sw: number): boolean {
  return (sw & 0xff00) === 0x6c00;
}

/** 63Cx: a VERIFY failed (or empty VERIFY reports) with x tries left. */
export function isVerifyCounter(sw: number): boolean {
  return (sw & 0xfff0) === SW.VERIFY_FAIL_BASE;
}

/** The count encoded in the low byte of 61xx/6Cxx, where 00 stands for 256. */
export function lowByteCount(sw: number): number {
  const count = sw & 0xff;
  return count === 0 ? 256 : count;
}

export function formatStatusWord(sw: number): string {
  return sw.toString(16).padStart(4, '0').toUpperCase();
}

/** A readable name such as "6A82 data object or application not found". */
export function describeStatusWord(sw: number): string {
  const hex = formatStatusWord(sw);
  const known = NAMES.get(sw);
  if (known !== undefined) return `${hex} ${known}`;
  if (isMoreDataAvailable(sw)) return `${hex} ${lowByteCount(sw)} more bytes available`;
  if (isWrongLe(sw)) return `${hex} wrong Le, expected ${lowByteCount(sw)}`;
  if (isVerifyCounter(sw)) return `${hex} verification failed, ${sw & 0x0f} tries left`;
  return `${hex} unknown status`;
}
