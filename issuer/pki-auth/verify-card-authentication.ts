// PKI-AUTH verification (FIPS 201-3 §6.2.3.1, SP 800-116): the card's PIV Authentication certificate and its
// signature over the issuer's challenge. This file is the one entry the issuer service calls.
// Work in progress: until every check is wired, the function refuses (never passes).

export interface PivTrustPolicy {
  trustAnchorsDer: Uint8Array[];
  intermediatesDer: Uint8Array[];
  requiredPolicyOids: string[];
  crlUrls: string[];
  crlFiles: string[];
  ocspUrl: string | null;
  now?: () => Date;
}

export interface CardIdentity {
  uuid: string | null;
  fascnHex: string | null;
  commonName: string;
  issuerDn: string;
  serialNumberHex: string;
  notAfter: Date;
  certificateDer: Uint8Array;
  keyAlgorithm: 'RSA-2048' | 'P-256' | 'P-384';
}

export type CardAuthenticationFailureCode =
  | 'bad-signature' | 'bad-certificate' | 'untrusted' | 'expired' | 'not-yet-valid' | 'revoked'
  | 'revocation-unavailable' | 'policy-missing' | 'identity-missing';

export type CardAuthenticationResult =
  | { ok: true; identity: CardIdentity }
  | { ok: false; code: CardAuthenticationFailureCode; message: string };

export function verifyCardAuthentication(
  _input: { challenge: Uint8Array; signature: Uint8Array; certificateDer: Uint8Array },
  _policy: PivTrustPolicy,
): Promise<CardAuthenticationResult> {
  return Promise.resolve({ ok: false, code: 'untrusted', message: 'PKI-AUTH verification is not implemented yet' });
}
