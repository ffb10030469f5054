// The PKCS#11 path through OpenSC's module to the project's virtual PIV cards on a real pcscd:
// OpenSC must find the 9A certificate and key under CKA_ID 01, our wrapper must turn its raw ECDSA
// answer into DER, and PIN outcomes must come back as data.
//
// The cards run in child processes (`dck virtual-card`): pkcs11js calls C_Login, C_FindObjects...
// synchronously, so an emulator in this process could not answer OpenSC's APDUs while they block.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listTokens,
  OPENSC_PKCS11_MODULE,
  readCertificate,
  signWithKey,
  verifyPin,
} from '../../../native/pkcs11/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';

const DEMO_PIN = '123456';
let environment: PcscEnvironment;
let rsaCard: ChildProcess;
let ecCard: ChildProcess;

function startCardProcess(profile: string, port: number): ChildProcess {
  return spawn(process.execPath, ['bin/dck.js', 'virtual-card', '--profile', profile, '--port', String(port)], {
    env: environment.env,
    stdio: 'ignore',
  });
}

function stopCardProcess(card: ChildProcess): Promise<void> {
  if (card.exitCode !== null || card.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    card.once('exit', () => resolve());
    card.kill('SIGTERM');
  });
}

beforeAll(async () => {
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  rsaCard = startCardProcess('rsa2048', environment.vpcdPort);
  ecCard = startCardProcess('p256', environment.vpcdPort + 1);
  await waitForReaderState(environment.env, environment.readerName, 'present', 20_000);
  await waitForReaderState(environment.env, environment.secondReaderName, 'present', 20_000);
});

afterAll(async () => {
  await stopCardProcess(rsaCard);
  await stopCardProcess(ecCard);
  await environment.stop();
});

const config = (readerName: string) => ({ modulePath: OPENSC_PKCS11_MODULE, readerName });

describe('PKCS#11 through OpenSC to the virtual PIV card', () => {
  it('sees one token per card, in the reader it is in', async () => {
    const tokens = await listTokens({ modulePath: OPENSC_PKCS11_MODULE });
    expect(tokens.map((token) => token.slotDescription.slice(0, environment.readerName.length)).sort()).toEqual(
      [environment.readerName, environment.secondReaderName].sort(),
    );
  });

  it('reads the 9A certificate as CKA_ID 01 without a PIN', async () => {
    const { certificateDer } = await readCertificate(config(environment.secondReaderName));
    const certificate = new X509Certificate(certificateDer);
    expect(certificate.subject).toContain('CN=Demo Cardholder');
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it.each([
    ['rsa', () => environment.readerName],
    ['ec', () => environment.secondReaderName],
  ] as const)('signs with the %s key; the signature verifies against the card certificate', async (keyType, reader) => {
    const challenge = Buffer.from('issuer challenge 0123456789abcdef');
    const pin = Buffer.from(DEMO_PIN);
    const result = await signWithKey(config(reader()), pin, challenge);
    expect(pin.every((byte) => byte === 0)).toBe(true);
    expect(result.keyType).toBe(keyType);
    const publicKey = new X509Certificate(result.certificateDer).publicKey;
    expect(verify('sha256', challenge, publicKey, result.signature)).toBe(true);
    expect(verify('sha256', Buffer.from('something else'), publicKey, result.signature)).toBe(false);
  });

  it('reports a wrong PIN as an outcome and a correct one as correct', async () => {
    expect(await verifyPin(config(environment.readerName), Buffer.from('000000'))).toMatchObject({ status: 'wrong' });
    expect(await verifyPin(config(environment.readerName), Buffer.from(DEMO_PIN))).toEqual({ status: 'correct' });
  });

  it('refuses to spend the last PIN try unless allowed', async () => {
    const rsa = config(environment.readerName);
    expect(await verifyPin(rsa, Buffer.from('000000'))).toMatchObject({ status: 'wrong' });
    expect(await verifyPin(rsa, Buffer.from('000001'))).toMatchObject({ status: 'wrong', triesLeft: 1 });
    await expect(verifyPin(rsa, Buffer.from('000002'))).rejects.toMatchObject({ code: 'last-try-refused' });
    expect(await verifyPin(rsa, Buffer.from(DEMO_PIN), { allowLastTry: true })).toEqual({ status: 'correct' });
  });

  it('says no-token for a reader without a card', async () => {
    await stopCardProcess(ecCard);
    await waitForReaderState(environment.env, environment.secondReaderName, 'empty');
    await expect(readCertificate(config(environment.secondReaderName))).rejects.toMatchObject({ code: 'no-token' });
  });
});
