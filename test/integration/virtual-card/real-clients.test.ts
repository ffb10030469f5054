/**
 * The virtual card as independent, real clients see it: OpenSC (opensc-tool, pkcs15-tool,
 * pkcs11-tool through opensc-pkcs11.so), yubico-piv-tool, and openssl checking the signatures.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { ProfileName } from '../../../virtual-card/profiles.ts';
import { OPENSC_PKCS11, runClient } from './client-run.ts';

let environment: PcscEnvironment;
let card: VirtualCard | undefined;
const workDir = mkdtempSync(join(tmpdir(), 'dck-vcard-clients-'));

beforeAll(async () => {
  environment = await startPcscEnvironment();
});
afterEach(async () => {
  if (card) {
    await card.stop();
    await waitForReaderState(environment.env, environment.readerName, 'empty');
    card = undefined;
  }
});
afterAll(async () => {
  await environment.stop();
  rmSync(workDir, { recursive: true, force: true });
});

let exchanges: { command: string; status: string }[] = [];

async function insertCard(profile: ProfileName): Promise<VirtualCard> {
  exchanges = [];
  card = await startVirtualCard({
    profile,
    port: environment.vpcdPort,
    insert: true,
    onApdu: (command, response) =>
      exchanges.push({
        command: Buffer.from(command).toString('hex'),
        status: Buffer.from(response.subarray(response.length - 2)).toString('hex'),
      }),
  });
  await waitForReaderState(environment.env, environment.readerName, 'present');
  return card;
}

function client(command: string, ...args: string[]) {
  return runClient(environment.env, command, args);
}

function pem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** pkcs11-tool signs `message` with the 9A key (CKA_ID 01); openssl verifies with the 9A certificate. */
async function signAndVerify(virtualCard: VirtualCard, mechanism: string, digest = '-sha256'): Promise<string> {
  const message = join(workDir, 'message.txt');
  const signature = join(workDir, `${mechanism}.sig`);
  const certificate = join(workDir, 'cert.pem');
  const publicKey = join(workDir, 'pub.pem');
  writeFileSync(message, 'challenge from the issuer\n');
  writeFileSync(certificate, pem(virtualCard.identity.pivAuth.der));
  const signed = await client(
    'pkcs11-tool',
    '--module',
    OPENSC_PKCS11,
    '--login',
    '--pin',
    virtualCard.identity.pin,
    '--sign',
    '--id',
    '01',
    '-m',
    mechanism,
    '--signature-format',
    'openssl',
    '-i',
    message,
    '-o',
    signature,
  );
  expect(signed.code, signed.stderr).toBe(0);
  const extracted = await client('openssl', 'x509', '-in', certificate, '-pubkey', '-noout', '-out', publicKey);
  expect(extracted.code, extracted.stderr).toBe(0);
  const verified = await client('openssl', 'dgst', digest, '-verify', publicKey, '-signature', signature, message);
  return verified.stdout.trim();
}

describe('virtual card seen by real clients', () => {
  it('opensc-tool names it a PIV card', async () => {
    await insertCard('rsa2048');
    const result = await client('opensc-tool', '-n');
    expect(result.stdout).toContain('Personal Identity Verification Card');
  });

  it('pkcs15-tool -D lists the PIV Auth certificate, key and PIN', async () => {
    await insertCard('rsa2048');
    const result = await client('pkcs15-tool', '-D');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Certificate for PIV Authentication');
    expect(result.stdout).toMatch(/Private RSA Key \[PIV AUTH key\]/);
    expect(result.stdout).toMatch(/PIN \[PIN\][^]*Reference {6}: 128 \(0x80\)/);
  });

  it('pkcs11-tool -L -O lists the token and its objects', async () => {
    const virtualCard = await insertCard('rsa2048');
    const slots = await client('pkcs11-tool', '--module', OPENSC_PKCS11, '-L');
    expect(slots.stdout).toContain('token label        : Demo Cardholder');
    const objects = await client('pkcs11-tool', '--module', OPENSC_PKCS11, '-O');
    expect(objects.code, objects.stderr).toBe(0);
    expect(objects.stdout).toContain('Certificate for PIV Authentication');
    const serial = virtualCard.identity.pivAuth.certificate.serialNumber.toUpperCase();
    expect(objects.stdout).toContain(serial);
  });

  it('an RSA-2048 signature made through PKCS#11 verifies with openssl', async () => {
    const virtualCard = await insertCard('rsa2048');
    expect(await signAndVerify(virtualCard, 'SHA256-RSA-PKCS')).toBe('Verified OK');
  });

  it('a P-256 ECDSA signature made through PKCS#11 verifies with openssl', async () => {
    const virtualCard = await insertCard('p256');
    expect(await signAndVerify(virtualCard, 'ECDSA-SHA256')).toBe('Verified OK');
  });

  it('a P-384 ECDSA signature made through PKCS#11 verifies with openssl', async () => {
    const virtualCard = await insertCard('p384');
    expect(await signAndVerify(virtualCard, 'ECDSA-SHA384', '-sha384')).toBe('Verified OK');
  });

  it('yubico-piv-tool reads its status: CHUID with the FASC-N, 9A certificate, PIN tries', async () => {
    const virtualCard = await insertCard('rsa2048');
    const result = await client('yubico-piv-tool', '-r', 'Virtual', '-a', 'status');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(virtualCard.identity.fascnHex);
    expect(result.stdout).toMatch(/Slot 9a:\s+Algorithm:\s+RSA2048/);
    expect(result.stdout).toContain('Subject DN:\tCN=Demo Cardholder');
    expect(result.stdout).toContain('PIN tries left:\t3');
  });

  it('a gzip-compressed certificate is readable with pkcs15-tool', async () => {
    const virtualCard = await insertCard('compressed');
    const result = await client('pkcs15-tool', '--read-certificate', '01');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.replace(/\s/g, '')).toBe(pem(virtualCard.identity.pivAuth.der).replace(/\s/g, ''));
  });

  it('a wrong PIN costs one try and the card says how many are left', async () => {
    const virtualCard = await insertCard('rsa2048');
    const wrong = await client('yubico-piv-tool', '-r', 'Virtual', '-a', 'verify-pin', '-P', '999999');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toContain('2 tries left');
    const verify = exchanges.find((exchange) => exchange.command.startsWith('0020008008'));
    expect(verify).toEqual({ command: `0020008008${'00'.repeat(8)}`, status: '63c2' });
    expect(virtualCard.applet.pinRetriesLeft(0x80)).toBe(2);
    const right = await client('yubico-piv-tool', '-r', 'Virtual', '-a', 'verify-pin', '-P', '123456');
    expect(right.code, right.stderr).toBe(0);
    expect(virtualCard.applet.pinRetriesLeft(0x80)).toBe(3);
  });

  it('the blocked profile is reported blocked and refuses the right PIN', async () => {
    await insertCard('blocked');
    const status = await client('yubico-piv-tool', '-r', 'Virtual', '-a', 'status');
    expect(status.stdout).toContain('PIN tries left:\t0');
    const login = await client(
      'pkcs11-tool',
      '--module',
      OPENSC_PKCS11,
      '--login',
      '--pin',
      '123456',
      '--sign',
      '--id',
      '01',
      '-m',
      'SHA256-RSA-PKCS',
      '-i',
      '/dev/null',
    );
    expect(login.code).not.toBe(0);
    expect(login.stderr).toContain('CKR_PIN_LOCKED');
  });

  it('yubico-piv-tool unblocks the blocked card with the PUK and a new PIN', async () => {
    const virtualCard = await insertCard('blocked');
    const unblock = await client(
      'yubico-piv-tool',
      '-r',
      'Virtual',
      '-a',
      'unblock-pin',
      '-P',
      '12345678',
      '-N',
      '24682468',
    );
    expect(unblock.code, unblock.stderr).toBe(0);
    expect(virtualCard.applet.pinRetriesLeft(0x80)).toBe(3);
    const verified = await client('yubico-piv-tool', '-r', 'Virtual', '-a', 'verify-pin', '-P', '24682468');
    expect(verified.code, verified.stderr).toBe(0);
  });

  it('with the global PIN primary, OpenSC signs with the global PIN', async () => {
    const virtualCard = await insertCard('global-pin');
    expect(virtualCard.identity.pinReference).toBe(0x00);
    expect(await signAndVerify(virtualCard, 'SHA256-RSA-PKCS')).toBe('Verified OK');
    expect(virtualCard.applet.pinRetriesLeft(0x80)).toBe(3);
  });

  it('the expired profile carries a PIV Auth certificate that openssl finds expired', async () => {
    await insertCard('expired');
    const read = await client('pkcs15-tool', '--read-certificate', '01');
    const certificate = join(workDir, 'expired.pem');
    writeFileSync(certificate, read.stdout);
    const check = await client('openssl', 'x509', '-in', certificate, '-noout', '-checkend', '0');
    expect(check.stdout).toContain('Certificate will expire');
    expect(check.code).toBe(1);
  });

  it('card removal is seen by the reader and clients stop finding a card', async () => {
    const virtualCard = await insertCard('rsa2048');
    await virtualCard.remove();
    await waitForReaderState(environment.env, environment.readerName, 'empty', 2_000);
    const result = await client('opensc-tool', '-r', environment.readerName, '-n');
    expect(result.code).not.toBe(0);
    await virtualCard.insert();
    await waitForReaderState(environment.env, environment.readerName, 'present', 2_000);
    expect((await client('opensc-tool', '-n')).stdout).toContain('Personal Identity Verification Card');
  });
});
