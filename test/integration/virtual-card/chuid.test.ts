/** The virtual card's CHUID: FIPS 201 fields and an issuer signature that openssl cms verifies. */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTlvs } from '../../../virtual-card/ber.ts';
import { buildProfile } from '../../../virtual-card/profiles.ts';
import type { BuiltProfile } from '../../../virtual-card/profiles.ts';
import { DEFAULT_TEST_FASCN_HEX } from '../../../virtual-card/test-pki.ts';
import { runClient } from './client-run.ts';

const workDir = mkdtempSync(join(tmpdir(), 'dck-vcard-chuid-'));
let profile: BuiltProfile;

beforeAll(async () => {
  profile = await buildProfile('p256', { uuid: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0' });
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function pem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Splits the CHUID value into the signed TLVs (everything before 3E) and the signature. */
function splitChuid(chuid: Uint8Array): { content: Uint8Array; signature: Uint8Array; tags: number[] } {
  const outer = parseTlvs(chuid);
  const value = outer?.[0]?.value ?? new Uint8Array();
  const items = parseTlvs(value) ?? [];
  const signature = items.find((item) => item.tag === 0x3e)?.value ?? new Uint8Array();
  const signatureOffset = signature.byteOffset - value.byteOffset;
  const headerLength = signature.length >= 0x100 ? 4 : signature.length >= 0x80 ? 3 : 2;
  return { content: value.subarray(0, signatureOffset - headerLength), signature, tags: items.map((item) => item.tag) };
}

async function cmsVerify(content: Uint8Array, signature: Uint8Array): Promise<{ code: number; stderr: string }> {
  writeFileSync(join(workDir, 'content.bin'), content);
  writeFileSync(join(workDir, 'signature.der'), signature);
  writeFileSync(
    join(workDir, 'trust.pem'),
    pem(profile.identity.pki.root.der) + pem(profile.identity.pki.intermediate.der),
  );
  return runClient(process.env, 'openssl', [
    'cms',
    '-verify',
    '-inform',
    'DER',
    '-in',
    join(workDir, 'signature.der'),
    '-content',
    join(workDir, 'content.bin'),
    '-binary',
    '-CAfile',
    join(workDir, 'trust.pem'),
    '-purpose',
    'any',
    '-out',
    '/dev/null',
  ]);
}

describe('CHUID', () => {
  it('carries FASC-N, GUID, expiration, cardholder UUID, signature and EDC in that order', () => {
    const { tags, content } = splitChuid(profile.identity.chuid);
    expect(tags).toEqual([0x30, 0x34, 0x35, 0x36, 0x3e, 0xfe]);
    const fields = parseTlvs(content) ?? [];
    expect(Buffer.from(fields[0]?.value ?? []).toString('hex')).toBe(DEFAULT_TEST_FASCN_HEX);
    expect(Buffer.from(fields[3]?.value ?? []).toString('hex')).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(new TextDecoder().decode(fields[2]?.value)).toMatch(/^20\d{6}$/);
  });

  it('has an issuer signature that openssl cms verifies up to the test root, and that fails on altered content', async () => {
    const { content, signature } = splitChuid(profile.identity.chuid);
    const good = await cmsVerify(content, signature);
    expect(good.code, good.stderr).toBe(0);
    const altered = Uint8Array.from(content);
    altered[5] = (altered[5] ?? 0) ^ 0x01;
    const bad = await cmsVerify(altered, signature);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('verification failure');
  });

  it('can be left unsigned', async () => {
    const unsigned = await buildProfile('p256', { unsignedChuid: true, pki: profile.identity.pki });
    expect(splitChuid(unsigned.identity.chuid).signature.length).toBe(0);
    expect(unsigned.identity.chuidSigner).toBeUndefined();
  });
});
