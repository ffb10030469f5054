// Why a "this PC" step stopped, in words a person at their own PC can act on. One code list for the whole flow
// (card, device key store, issuer, install); the message never carries a PIN, token, key or tool output.
export const PC_ERROR_CODES = [
  'card-removed',
  'card-refused',
  'pin-wrong',
  'pin-blocked',
  'card-error',
  'no-platform-store',
  'store-busy',
  'store-pin-incorrect',
  'store-failed',
  'issuer-unreachable',
  'issuer-refused',
  'install-failed',
  /** Installation failed and the issuer did not confirm the revocation of the certificate it issued. */
  'install-failed-not-revoked',
  'not-enrolled',
  /** Another `dck pc` run (the app, another terminal) holds this PC's lock (pc-lock.ts): nothing was touched. */
  'another-run',
] as const;
export type PcErrorCode = (typeof PC_ERROR_CODES)[number];

export interface PcError {
  readonly code: PcErrorCode;
  readonly message: string;
  /** `issuer-refused`: the issuer's own error code (contracts/issuer-errors.ts). */
  readonly issuerCode?: string;
}

export const pcError = (code: PcErrorCode, message: string, issuerCode?: string): PcError =>
  issuerCode === undefined ? { code, message } : { code, message, issuerCode };
