/**
 * Public API of the PIV card edge (SP 800-73-4). Other parts import from here; everything else
 * in piv/ is internal and may change.
 */
export type { CardTransport, ChannelOptions } from './transport.ts';
export { ApduChannel } from './transport.ts';
export { supportsExtendedLength, historicalBytes } from './atr.ts';
export type { CommandApdu, ResponseApdu } from './apdu.ts';
export { encodeCommandApdu, parseResponseApdu } from './apdu.ts';
export { PivError, isPivError, errorForStatusWord } from './errors.ts';
export type { PivErrorCode } from './errors.ts';
export { SW, describeStatusWord } from './status-words.ts';
export { PivCard, assertPinFormat } from './piv-card.ts';
export type { PivCardOptions, PinReference, KeyAlgorithm } from './piv-card.ts';
export { verifyPinSafely, choosePinReference } from './pin-policy.ts';
export type { PinVerifyOutcome, VerifyPinOptions } from './pin-policy.ts';
export { signChallenge, signPkiAuthChallenge, verifyChallengeSignature } from './pki-auth.ts';
export type { PkiAuthSignature, SignedChallenge } from './pki-auth.ts';
export { readCardInfo, readAuthenticationIdentity } from './card-info.ts';
export { summarizeCertificate, parseCertificate, keyAlgorithmOf, FASCN_OTHER_NAME_OID } from './certificate-summary.ts';
export { decodeFascn, encodeFascn, inspectFascn } from './fascn.ts';
export { parseChuid } from './chuid.ts';
export { parseDiscovery, PIN_REFERENCE } from './discovery.ts';
export { parseCertificateObject } from './certificate-object.ts';
export { OBJECT_TAG, PIV_AID, KEY_REFERENCE, CERTIFICATE_OBJECT, getDataCommand } from './objects.ts';
export { signingInput, pkcs1v15Block, ALGORITHM_ID } from './signing-input.ts';
export { parseTlvs, parseTlvTree, encodeTlv, encodeTlvs } from './tlv.ts';
export type { Tlv, TlvTree } from './tlv.ts';
