// Before installing anything, the phone checks what the issuer returned: the certificate is for *our* key,
// chains by signature to the issuer's CA, is in its validity period, and is a derived PIV Authentication
// certificate (policy id-fpki-common-derived-pivAuth, clientAuth, digitalSignature).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
const MAX_CHAIN = 5;
export const DERIVED_PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.40';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface IssuedCertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumberHex: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly uuid: string | null;
  readonly policies: readonly string[];
  readonly sha256Fingerprint: string;
}

export type ChainCheck =
  { ok: true; summary: IssuedCertificateSummary } | { ok: false; code: 'chain-invalid'; message: string };

export async function verifyIssuedChain(input: {
  certificatePem: string;
  chainPem: readonly string[];
  /** The issuer's CA (from its metadata, fetched over the pinned TLS connection). */
  trustedCaPem: string;
  publicKeySpki: Uint8Array;
  now?: Date;
}): Promise<ChainCheck> {
  const refuse = (message: string): ChainCheck => ({ ok: false, code: 'chain-invalid', message });
  const now = input.now ?? new Date();
  let leaf: x509.X509Certificate;
  let chain: x509.X509Certificate[];
  let trusted: x509.X509Certificate;
  try {
    leaf = new x509.X509Certificate(input.certificatePem);
    chain = input.chainPem.slice(0, MAX_CHAIN).map((pem) => new x509.X509Certificate(pem));
    trusted = new x509.X509Certificate(input.trustedCaPem);
  } catch (error) {
    return refuse(
      `a returned certificate cannot be parsed (${error instanceof Error ? error.message.slice(0, 100) : 'error'})`,
    );
  }
  if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(input.publicKeySpki)))
    return refuse('the certificate is not for the key this phone generated');
  const path = await pathToTrusted(leaf, chain, trusted);
  if (typeof path === 'string') return refuse(path);
  for (const certificate of path) {
    if (certificate.notBefore > now || certificate.notAfter < now)
      return refuse(`"${certificate.subject}" is outside its validity period`);
  }
  for (const ca of path.slice(1)) {
    if (ca.getExtension(x509.BasicConstraintsExtension)?.ca !== true)
      return refuse(`"${ca.subject}" is not a CA certificate`);
  }
  const profile = derivedProfileProblem(leaf);
  if (profile !== null) return refuse(profile);
  return { ok: true, summary: await summarize(leaf) };
}

/** Walks leaf → chain by verified signatures until the trusted CA signs (or is) the current certificate. */
async function pathToTrusted(
  leaf: x509.X509Certificate,
  chain: x509.X509Certificate[],
  trusted: x509.X509Certificate,
): Promise<x509.X509Certificate[] | string> {
  const path = [leaf];
  let current = leaf;
  for (let step = 0; step <= chain.length; step += 1) {
    if (current.issuer === trusted.subject && (await signedBy(current, trusted))) return [...path, trusted];
    const next = chain.find((candidate) => !path.includes(candidate) && candidate.subject === current.issuer);
    if (next === undefined || !(await signedBy(current, next)))
      return `"${current.subject}" does not chain to the issuer's CA "${trusted.subject}"`;
    path.push(next);
    current = next;
  }
  return "the returned chain does not reach the issuer's CA";
}

async function signedBy(subject: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    return await subject.verify({ publicKey: issuer.publicKey, signatureOnly: true }, crypto);
  } catch {
    return false; // an unusable key or signature is a signature that does not verify
  }
}

function derivedProfileProblem(leaf: x509.X509Certificate): string | null {
  const policies = leaf.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
  if (!policies.includes(DERIVED_PIV_AUTH_POLICY))
    return `the certificate lacks the derived PIV Authentication policy ${DERIVED_PIV_AUTH_POLICY}`;
  const usages = leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
  if (!usages.includes(CLIENT_AUTH)) return 'the certificate lacks the clientAuth extended key usage';
  const keyUsage = leaf.getExtension(x509.KeyUsagesExtension);
  if (keyUsage === null || (keyUsage.usages & x509.KeyUsageFlags.digitalSignature) === 0)
    return 'the certificate lacks the digitalSignature key usage';
  return null;
}

async function summarize(leaf: x509.X509Certificate): Promise<IssuedCertificateSummary> {
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  const uuidUri = san?.names.items.find(
    (name) => name.type === 'url' && name.value.toLowerCase().startsWith('urn:uuid:'),
  );
  return {
    subject: leaf.subject,
    issuer: leaf.issuer,
    serialNumberHex: leaf.serialNumber.toLowerCase(),
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    uuid: uuidUri === undefined ? null : uuidUri.value.slice('urn:uuid:'.length).toLowerCase(),
    policies: leaf.getExtension(x509.CertificatePolicyExtension)?.policies ?? [],
    sha256Fingerprint: Buffer.from(await leaf.getThumbprint('SHA-256', crypto)).toString('hex'),
  };
}
