// The outer-length check that refuses trailing bytes after a certificate (OpenSSL and @peculiar/x509 both stop
// reading at the end of the structure, so garbage after it would otherwise pass unnoticed).
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { outerDerLength, parseCertificate } from '../../../issuer/pki-auth/parsed-certificate.ts';
import { createTestPki } from '../../../virtual-card/test-pki.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('outerDerLength', () => {
  it('reads short and long definite lengths of a SEQUENCE', () => {
    expect(outerDerLength(bytes(0x30, 0x03, 1, 2, 3))).toBe(5);
    expect(outerDerLength(new Uint8Array([0x30, 0x81, 0x80, ...new Uint8Array(0x80)]))).toBe(3 + 0x80);
    expect(outerDerLength(new Uint8Array([0x30, 0x82, 0x01, 0x00, ...new Uint8Array(0x100)]))).toBe(4 + 0x100);
  });

  it('refuses what is not DER: other tags, indefinite length, non-minimal lengths, truncated headers', () => {
    expect(outerDerLength(bytes())).toBe(-1);
    expect(outerDerLength(bytes(0x30))).toBe(-1);
    expect(outerDerLength(bytes(0x31, 0x00))).toBe(-1);
    expect(outerDerLength(bytes(0x30, 0x80, 0x00, 0x00))).toBe(-1);
    expect(outerDerLength(bytes(0x30, 0x81, 0x05, 1, 2, 3, 4, 5))).toBe(-1);
    expect(outerDerLength(bytes(0x30, 0x82, 0x00, 0x90))).toBe(-1);
    expect(outerDerLength(bytes(0x30, 0x84, 0xff, 0xff, 0xff, 0xff))).toBe(-1);
    expect(outerDerLength(bytes(0x30, 0x82, 0x01))).toBe(-1);
  });
});

describe('parseCertificate with hostile framing around a real certificate', () => {
  it('accepts the certificate, refuses it with a byte appended, removed, or its length byte changed', async () => {
    const pki = await createTestPki();
    const card = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Frame Test' });
    expect(parseCertificate(card.der).ok).toBe(true);
    expect(parseCertificate(new Uint8Array([...card.der, 0x00])).ok).toBe(false);
    expect(parseCertificate(card.der.subarray(0, card.der.byteLength - 1)).ok).toBe(false);
    const wrongLength = new Uint8Array(card.der);
    wrongLength[3] = (wrongLength[3] ?? 0) - 1;
    expect(parseCertificate(wrongLength).ok).toBe(false);
  });
});
