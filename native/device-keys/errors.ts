// One error type for the device key stores. Messages are fixed sentences per code (plus the platform's numeric
// code where there is one): never a PIN, never tool output, which can carry paths and user names.

/** Every code a DeviceKeyStore rejects with, in one list (the CLI and the app map them to their own words). */
export const DEVICE_KEY_ERROR_CODES = [
  'no-platform-store', // no TPM (or no token / provider) to put the key in
  'store-busy', // the TPM or token is in use by another program, try again
  'store-no-answer', // the TPM did not answer within the deadline (store-process.ts): the call was cut off
  'store-pin-incorrect', // the device token's PIN was refused
  'store-full', // the TPM or token has no room for another key
  'no-such-key', // no key with this id
  'certificate-key-mismatch', // the certificate to install is not for this key
  'bad-certificate', // the certificate or a chain certificate is not DER X.509
  'bad-request', // a label or name the store cannot carry safely (control characters, quotes, too long)
  'store-failed', // anything else the store said no to (the code names it)
] as const;
export type DeviceKeyErrorCode = (typeof DEVICE_KEY_ERROR_CODES)[number];

const SENTENCES: Record<DeviceKeyErrorCode, string> = {
  'no-platform-store': 'This PC has no key store to keep the credential in',
  'store-busy': "The PC's key store is busy; try again",
  'store-no-answer': 'The TPM did not answer',
  'store-pin-incorrect': "The PC's key store refused its PIN",
  'store-full': "The PC's key store has no room for another key",
  'no-such-key': "No such key in the PC's key store",
  'certificate-key-mismatch': 'The certificate is not for this key',
  'bad-certificate': 'The certificate is not a valid X.509 certificate',
  'bad-request': 'A name or label contains characters the key store cannot take',
  'store-failed': "The PC's key store failed",
};

export class DeviceKeyError extends Error {
  override readonly name = 'DeviceKeyError';

  constructor(
    readonly code: DeviceKeyErrorCode,
    /** The step that failed (a C_* call, `certreq -new`, …) and the platform's own code (CKR_…, 0x8…), if any. */
    readonly detail: string,
  ) {
    super(`${SENTENCES[code]} (${detail})`);
  }
}
