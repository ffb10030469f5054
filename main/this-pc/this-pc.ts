// "Set up this PC" (issue 14): the card's sign-in authorizes this one PC; the key is made in the PC's own store
// (TPM, or software where the tenant allows it), the issuer signs its certificate, and the certificate and chain
// are installed beside the key. Renewal makes a new key and revokes the old credential only once the new one is in
// place; removal asks the issuer to revoke (signed by the credential's own key) and then deletes key and
// certificate. Every fault ends with nothing half-done: a key without a certificate is deleted, a certificate issued
// but not installed is revoked (the issuer audits it), and a removal the issuer did not confirm deletes nothing.
import { X509Certificate } from 'node:crypto';
import type { PcRevocationCause } from '../../contracts/issuer-api.ts';
import type { IssuerCall } from '../issuer-client/issuer-port.ts';
import type {
  CredentialStatus,
  PcEnrollmentRequest,
  PcEnrollmentResponse,
  PcRevocationRequest,
} from '../../contracts/issuer-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { pcRevocationMessage } from '../../contracts/pc-revocation-message.ts';
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import { DeviceKeyError } from '../../native/device-keys/index.ts';
import type { DeviceKeyStore } from '../../native/device-keys/index.ts';
import { issuerFailure } from './card-sign-in.ts';
import type { CardSignIn } from './card-sign-in.ts';
import { pcError } from './pc-errors.ts';
import type { PcError } from './pc-errors.ts';

/** What the issuer offers "this PC": the kiosk's PKI-AUTH calls plus its own two routes (HttpsIssuerClient). */
export interface PcIssuerPort extends Pick<KioskIssuerPort, 'challenge' | 'answerChallenge'> {
  enrollPc(sessionToken: string, request: PcEnrollmentRequest): IssuerCall<PcEnrollmentResponse>;
  revokePcCredential(serialNumberHex: string, request: PcRevocationRequest): IssuerCall<CredentialStatus>;
}

/** The credential installed on this PC, as the state file keeps it. */
export interface PcCredential {
  readonly keyId: string;
  readonly serialNumberHex: string;
  readonly notAfter: string;
  readonly renewalDueAt: string;
}

export interface ThisPc {
  readonly store: DeviceKeyStore;
  readonly issuer: PcIssuerPort;
  /** Card + PIN → PKI-AUTH session (card-sign-in.ts), asked before any key is made. */
  signIn(): Promise<Result<CardSignIn, PcError>>;
  /** The PC as it reports itself to the issuer. */
  readonly device: PcEnrollmentRequest['device'];
  /** Names the tenant in the key store (PKCS#11 label, Windows FriendlyName). */
  readonly label: string;
}

/** Card, key, CSR, certificate, install: the new credential, or why not with nothing left behind. */
export async function enrollThisPc(pc: ThisPc): Promise<Result<PcCredential, PcError>> {
  const signedIn = await pc.signIn();
  if (!signedIn.ok) return signedIn;
  const key = await storeStep(() => pc.store.generateKey({ commonName: pc.device.id, label: pc.label }));
  if (!key.ok) return key;
  const { keyId } = key.value;
  const issued = await pc.issuer.enrollPc(signedIn.value.sessionToken, {
    csr: Buffer.from(key.value.csrDer).toString('base64url'),
    device: pc.device,
    keyProtection: key.value.protection,
  });
  if (!issued.ok) {
    // No certificate will ever come for this key: it goes.
    await pc.store.delete(keyId).catch(() => undefined);
    return err(withNote(issuerFailure(issued.error), 'The key made for it was deleted.'));
  }
  const installed = await storeStep(async () =>
    pc.store.install(keyId, pemToDer(issued.value.certificatePem), issued.value.chainPem.map(pemToDer)),
  );
  if (!installed.ok) {
    // Issued but not installed: revoke it (audited by the issuer) while the key can still sign, then delete the key.
    const revoked = await revokeWithKey(pc, keyId, issued.value.serialNumberHex, 'install-failed');
    await pc.store.delete(keyId).catch(() => undefined);
    const note = revoked.ok
      ? 'The certificate issued for it was revoked and its key deleted.'
      : `Its certificate ${issued.value.serialNumberHex} could not be revoked (${revoked.error.message}): tell the help desk.`;
    return err(
      pcError(
        revoked.ok ? 'install-failed' : 'install-failed-not-revoked',
        `The certificate could not be installed (${installed.error.message}). ${note}`,
      ),
    );
  }
  return ok({
    keyId,
    serialNumberHex: issued.value.serialNumberHex,
    notAfter: issued.value.notAfter,
    renewalDueAt: issued.value.renewalDueAt,
  });
}

/**
 * Keys an earlier run left in the store without a certificate: a run cut off while the TPM stayed silent through its
 * own clean-up (store-process.ts deletes a cut-off generation's key, but that delete needs the TPM too). Found by
 * `list()` (a key with no certificate) and deleted, except the keys in `keep` (the state file's: a step under way in
 * this run has not made its key yet, the sweep runs before it). Returns how many went. A store that does not answer
 * now sweeps nothing: the run's own next call says so, and the next run sweeps again.
 */
export async function sweepUnfinishedKeys(store: DeviceKeyStore, keep: readonly string[]): Promise<number> {
  let listed: Awaited<ReturnType<DeviceKeyStore['list']>>;
  try {
    listed = await store.list();
  } catch (error) {
    if (error instanceof DeviceKeyError) return 0;
    throw error;
  }
  let swept = 0;
  for (const key of listed) {
    if (key.certificateDer !== null || keep.includes(key.keyId)) continue;
    const deleted = await storeStep(() => store.delete(key.keyId));
    if (deleted.ok) swept += 1;
  }
  return swept;
}

/** What the person reads after a sweep (none: nothing to say). */
export function sweptKeysNote(swept: number): string[] {
  if (swept === 0) return [];
  return [
    swept === 1
      ? 'Removed an unfinished key from an earlier attempt.'
      : `Removed ${swept} unfinished keys from earlier attempts.`,
  ];
}

export interface Renewal {
  readonly credential: PcCredential;
  /** Null when the old credential was revoked and deleted; else why it is still here (retried by the next run). */
  readonly oldCredentialLeft: PcError | null;
}

/** A new credential first; the old one is revoked as superseded and deleted only once the new one is installed. */
export async function renewThisPc(pc: ThisPc, old: PcCredential): Promise<Result<Renewal, PcError>> {
  const renewed = await enrollThisPc(pc);
  if (!renewed.ok) return renewed;
  const retired = await retire(pc, old, 'renewed');
  return ok({ credential: renewed.value, oldCredentialLeft: retired.ok ? null : retired.error });
}

/** The issuer revokes (signed by the credential's key), then key and certificate go; nothing goes if it did not. */
export function removeThisPc(
  pc: Pick<ThisPc, 'store' | 'issuer'>,
  credential: PcCredential,
): Promise<Result<null, PcError>> {
  return retire(pc, credential, 'removed');
}

async function retire(
  pc: Pick<ThisPc, 'store' | 'issuer'>,
  credential: PcCredential,
  cause: PcRevocationCause,
): Promise<Result<null, PcError>> {
  const revoked = await revokeWithKey(pc, credential.keyId, credential.serialNumberHex, cause);
  // Already revoked (an administrator, an earlier run whose delete failed) is what we wanted.
  if (!revoked.ok && revoked.error.issuerCode !== 'credential-not-active') return revoked;
  return storeStep(() => pc.store.delete(credential.keyId)).then((deleted) => (deleted.ok ? ok(null) : deleted));
}

/** A fresh challenge, the credential key's signature over the revocation request, the issuer's answer. */
async function revokeWithKey(
  pc: Pick<ThisPc, 'store' | 'issuer'>,
  keyId: string,
  serialNumberHex: string,
  cause: PcRevocationCause,
): Promise<Result<null, PcError>> {
  const challenge = await pc.issuer.challenge();
  if (!challenge.ok) return err(issuerFailure(challenge.error));
  const message = pcRevocationMessage(challenge.value.challenge, serialNumberHex, cause);
  if (!message.ok) return err(pcError('store-failed', message.reason));
  const signature = await storeStep(() => pc.store.sign(keyId, message.message));
  if (!signature.ok) return signature;
  const answer = await pc.issuer.revokePcCredential(serialNumberHex, {
    challengeId: challenge.value.challengeId,
    cause,
    signature: Buffer.from(signature.value).toString('base64url'),
  });
  return answer.ok ? ok(null) : err(issuerFailure(answer.error));
}

/** A store call whose DeviceKeyError becomes the person's words; anything else is a defect and is thrown. */
async function storeStep<T>(step: () => Promise<T>): Promise<Result<T, PcError>> {
  try {
    return ok(await step());
  } catch (error: unknown) {
    if (!(error instanceof DeviceKeyError)) throw error;
    return err(storeFailure(error));
  }
}

/** A key store's fault in the person's words (also the token's first set-up's, pc-setup.ts). */
export function storeFailure(error: DeviceKeyError): PcError {
  switch (error.code) {
    case 'no-platform-store':
      return pcError('no-platform-store', `This PC's key store (TPM) does not answer (${error.detail}).`);
    case 'store-busy':
      return pcError('store-busy', `This PC's key store is busy: try again in a minute (${error.detail}).`);
    case 'store-no-answer':
      return pcError(
        'no-platform-store',
        `The TPM did not answer (${error.detail}). Try again; if it happens again, restart this PC.`,
      );
    case 'store-pin-incorrect':
      return pcError('store-pin-incorrect', `This PC's key store refused its PIN (${error.detail}).`);
    case 'store-full':
    case 'no-such-key':
    case 'certificate-key-mismatch':
    case 'bad-certificate':
    case 'bad-request':
    case 'store-failed':
      return pcError('store-failed', `This PC's key store failed (${error.message}).`);
  }
}

const withNote = (error: PcError, note: string): PcError =>
  pcError(error.code, `${error.message} ${note}`, error.issuerCode);

/** The issuer's PEM (schema-checked text, not yet a certificate): unreadable is a failed install, handled as one. */
function pemToDer(pem: string): Uint8Array {
  try {
    return new Uint8Array(new X509Certificate(pem).raw);
  } catch {
    throw new DeviceKeyError('bad-certificate', 'the issuer answer');
  }
}
