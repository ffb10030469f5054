// One error type for the PKCS#11 path. `code` is the Cryptoki return value's name (CKR_PIN_INCORRECT,
// CKR_TOKEN_NOT_PRESENT, ...) when the module said no, or one of our own codes for what the module
// cannot express. Messages name the call and the code; they never carry a PIN or data to be signed.

export type Pkcs11OwnCode =
  | 'module-load-failed' // the configured module file is missing or is not a PKCS#11 library
  | 'no-token' // no slot holds a token (no card in any reader, or the label matched nothing)
  | 'no-certificate' // no certificate object with the requested CKA_ID
  | 'no-private-key' // no private key object with the requested CKA_ID
  | 'unsupported-key' // the key is neither RSA nor EC
  | 'last-try-refused' // one PIN try is left and the caller did not allow using it
  | 'key-id-in-use' // a key ceremony found an object with the CKA_ID it was asked to create
  | 'native-error'; // pkcs11js failed before reaching the module (bad argument, out of memory)

/** CKR_* names come from the module; our own codes are lower-case words. */
export type Pkcs11ErrorCode = `CKR_${string}` | Pkcs11OwnCode;

export class Pkcs11Failure extends Error {
  override readonly name = 'Pkcs11Failure';

  constructor(
    readonly code: Pkcs11ErrorCode,
    /** The C_* function (or step) that failed. */
    readonly operation: string,
  ) {
    super(`${operation} failed: ${code}`);
  }
}

const CKR_NAME = /^CKR_[A-Z0-9_]{1,60}$/;

/**
 * pkcs11js throws Pkcs11Error (message "CKR_NAME", numeric code) for Cryptoki failures and NativeError
 * for its own. Only the CKR_ name survives into our error: pkcs11js' message can include a native
 * stack with argument descriptions, which we do not want echoed anywhere.
 */
export function toPkcs11Failure(error: unknown, operation: string): Pkcs11Failure {
  if (error instanceof Pkcs11Failure) return error;
  const message = error instanceof Error ? (error.message.split('\n', 1)[0] ?? '') : '';
  return new Pkcs11Failure(CKR_NAME.test(message) ? (message as `CKR_${string}`) : 'native-error', operation);
}

/** Runs one C_* call and turns whatever it throws into a Pkcs11Failure naming that call. */
export function call<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toPkcs11Failure(error, operation);
  }
}

export async function callAsync<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toPkcs11Failure(error, operation);
  }
}
