// Public surface of the PKCS#11 path.
export {
  listTokens,
  OPENSC_PKCS11_MODULE,
  PIV_AUTH_KEY_ID,
  readCertificate,
  signWithKey,
  verifyPin,
} from './piv-token.ts';
export type { Pkcs11Config, Pkcs11PinCheck, Pkcs11Signature, TokenSummary } from './piv-token.ts';
export { Pkcs11Failure } from './errors.ts';
export type { Pkcs11ErrorCode, Pkcs11OwnCode } from './errors.ts';
export { rawEcdsaToDer } from './ecdsa-signature.ts';
export { DEFAULT_SESSION_COUNT, generateTokenKey, TokenKeyConnection } from './token-key.ts';
export type { TokenKeyAlgorithm, TokenKeyLocation, TokenKeyProtection, TokenSignMechanism } from './token-key.ts';
