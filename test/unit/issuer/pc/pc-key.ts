// A PC's key for the rule tests: a WebCrypto P-256 key (its ECDSA signatures are r ‖ s, as PKCS#11 gives them), its
// CSR, and its signature over a revocation request for a challenge the issuer handed out.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PcRevocationCause } from '../../../../contracts/issuer-api.ts';
import { pcRevocationMessage } from '../../../../contracts/pc-revocation-message.ts';
import type { IssuerContext } from '../../../../issuer/issuer-context.ts';
import { issueChallenge } from '../../../../issuer/pki-auth/issue-challenge.ts';
import { UNSIGNED_CALL } from '../rule-context.ts';

export interface PcKey {
  csrPem: string;
  /** A challenge from the issuer, and this key's signature over the revocation of `serial` for `cause`. */
  signedRevocation(
    ctx: IssuerContext,
    serial: string,
    cause: PcRevocationCause,
  ): Promise<{ challengeId: string; cause: PcRevocationCause; signature: string }>;
}

export async function makePcKey(): Promise<PcKey> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=this pc',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return {
    csrPem: csr.toString('pem'),
    signedRevocation: async (ctx, serial, cause) => {
      const challenge = await issueChallenge(ctx, { request: {}, kioskProof: UNSIGNED_CALL, ip: '127.0.0.1' });
      if (!challenge.ok) throw new Error(challenge.error.code);
      const message = pcRevocationMessage(Buffer.from(challenge.value.challenge, 'base64url'), serial, cause);
      if (!message.ok) throw new Error(message.reason);
      const signature = await webcrypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        keys.privateKey,
        message.message,
      );
      return {
        challengeId: challenge.value.challengeId,
        cause,
        signature: Buffer.from(signature).toString('base64url'),
      };
    },
  };
}
