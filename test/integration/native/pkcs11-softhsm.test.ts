// The PKCS#11 path against a real token (SoftHSM2): slot listing, certificate lookup by CKA_ID 01,
// PIN outcomes, RSA and ECDSA signatures that verify against the certificate, CKR_ names as error codes.
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTokens, Pkcs11Failure, readCertificate, signWithKey, verifyPin } from '../../../native/pkcs11/index.ts';
import { createSoftHsmTokens, SOFTHSM_MODULE, TOKEN_PIN } from './softhsm-token.ts';
import type { SoftHsmFixture } from './softhsm-token.ts';

let fixture: SoftHsmFixture;
const config = (label: string) => ({ modulePath: SOFTHSM_MODULE, tokenLabel: label });
const pin = (text: string) => Buffer.from(text);

beforeAll(() => {
  fixture = createSoftHsmTokens(['rsa', 'ec']);
  process.env.SOFTHSM2_CONF = fixture.configPath;
});
afterAll(() => fixture.remove());

describe('PKCS#11 path over SoftHSM2', () => {
  it('lists the initialised tokens by label', async () => {
    const tokens = await listTokens({ modulePath: SOFTHSM_MODULE });
    expect(tokens.map((token) => token.label).sort()).toEqual(['ec', 'rsa']);
    expect(tokens.every((token) => token.loginRequired && !token.pinLocked)).toBe(true);
  });

  it('reads the CKA_ID 01 certificate without a PIN', async () => {
    const { certificateDer } = await readCertificate(config('rsa'));
    expect(new X509Certificate(certificateDer).subject).toContain('SoftHSM rsa PIV Auth');
  });

  it.each(['rsa', 'ec'])('signs with the %s key and the signature verifies against the certificate', async (label) => {
    const challenge = Buffer.from('a challenge from the issuer');
    const secret = pin(TOKEN_PIN);
    const result = await signWithKey(config(label), secret, challenge);
    expect(secret.every((byte) => byte === 0)).toBe(true);
    expect(result.keyType).toBe(label);
    const publicKey = createPublicKey(
      new X509Certificate(result.certificateDer).publicKey.export({ format: 'pem', type: 'spki' }),
    );
    expect(verify('sha256', challenge, publicKey, result.signature)).toBe(true);
    expect(verify('sha256', Buffer.from('another message'), publicKey, result.signature)).toBe(false);
  });

  it('says correct / wrong for PINs and never puts the PIN in an error', async () => {
    expect(await verifyPin(config('rsa'), pin(TOKEN_PIN))).toEqual({ status: 'correct' });
    expect(await verifyPin(config('rsa'), pin('000111'))).toMatchObject({ status: 'wrong' });
    const failure = await signWithKey(config('rsa'), pin('999888'), Buffer.from('x')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Pkcs11Failure);
    expect((failure as Pkcs11Failure).code).toBe('CKR_PIN_INCORRECT');
    expect((failure as Pkcs11Failure).operation).toBe('C_Login');
    expect(JSON.stringify({ ...(failure as object), message: (failure as Error).message })).not.toContain('999888');
  });

  it('names a missing token and a module that is not there', async () => {
    await expect(readCertificate(config('no-such-label'))).rejects.toMatchObject({ code: 'no-token' });
    await expect(listTokens({ modulePath: '/nonexistent/module.so' })).rejects.toMatchObject({
      code: 'module-load-failed',
    });
    await expect(listTokens({ modulePath: '/etc/hostname' })).rejects.toMatchObject({ code: 'module-load-failed' });
  });

  it('reports a missing key id as no-certificate', async () => {
    await expect(readCertificate({ ...config('ec'), keyId: Uint8Array.of(0x09) })).rejects.toMatchObject({
      code: 'no-certificate',
    });
  });
});
