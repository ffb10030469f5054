// Certificate revocation lists (RFC 5280 §5, §6.3): loaded from the configured URLs and files, kept until their
// nextUpdate (and re-read at most every few minutes), and accepted for a certificate only when they cover it,
// are signed by its issuer and are current. CRL distribution points named inside certificates are not
// followed: the issuer fetches only sources its administrator configured (no fetches steered by card data).
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ParsedCertificate } from '../parsed-certificate.ts';
import { boundedFetch } from './bounded-fetch.ts';
import { readCrlContents, type CrlContents } from './crl-contents.ts';
import { splitCrlEnvelope, type CrlEnvelope } from './crl-envelope.ts';
import { DerFormatError } from '../../der/strict-der.ts';

/** Default size cap of one CRL (`pivTrust.maxCrlBytes` raises it: a large CA's CRL runs to tens of MB). */
export const DEFAULT_MAX_CRL_BYTES = 8 * 1024 * 1024;
const CRL_FETCH_TIMEOUT_MS = 5_000;
/** Even a CRL valid for days is re-read this often, so an emergency re-issue is seen. */
const CRL_REFRESH_MS = 5 * 60_000;
/** Clock skew tolerated between the CA and this issuer for thisUpdate. */
export const CLOCK_SKEW_MS = 5 * 60_000;

export interface LoadedCrl {
  readonly source: string;
  readonly crl: pkijs.CertificateRevocationList;
  /** Entries, scope, number and delta indicator, read once (crl-contents.ts). */
  readonly contents: CrlContents;
  /** Signature checks are costly; remembered per issuer certificate object. */
  readonly signatureValidFor: WeakMap<ParsedCertificate, boolean>;
  /** Whether the CRL's issuer name is this (configured, long-lived) CA certificate's subject; remembered per object. */
  readonly issuedBy: WeakMap<ParsedCertificate, boolean>;
}

export interface CrlCache {
  readonly urls: Map<string, { crl: LoadedCrl; fetchedAtMs: number }>;
  readonly inflight: Map<string, Promise<LoadedOrProblem>>;
  /** Re-read when mtime, size or inode changes (a CRL replaced by rename is a new inode). */
  readonly files: Map<string, { crl: LoadedCrl; mtimeMs: number; size: number; ino: number }>;
}

export function createCrlCache(): CrlCache {
  return { urls: new Map(), inflight: new Map(), files: new Map() };
}

type LoadedOrProblem = { ok: true; crl: LoadedCrl } | { ok: false; message: string };

export interface CrlSources {
  readonly urls: readonly string[];
  readonly files: readonly string[];
  /** A CRL from a URL is re-read once it is this old (the tenant's freshness); default CRL_REFRESH_MS. */
  readonly maxAgeMs?: number | undefined;
  /** A CRL larger than this is refused unread; default DEFAULT_MAX_CRL_BYTES. */
  readonly maxBytes?: number | undefined;
}

export async function loadCrls(
  sources: CrlSources,
  cache: CrlCache,
  at: Date,
): Promise<{ crls: LoadedCrl[]; problems: string[] }> {
  const maxBytes = sources.maxBytes ?? DEFAULT_MAX_CRL_BYTES;
  const results = await Promise.all([
    ...sources.urls.map((url) => loadCrlFromUrl(url, cache, at, sources.maxAgeMs ?? CRL_REFRESH_MS, maxBytes)),
    ...sources.files.map((file) => loadCrlFromFile(file, cache, maxBytes)),
  ]);
  const crls: LoadedCrl[] = [];
  const problems: string[] = [];
  for (const result of results) {
    if (result.ok) crls.push(result.crl);
    else problems.push(result.message);
  }
  return { crls, problems };
}

async function loadCrlFromUrl(
  url: string,
  cache: CrlCache,
  at: Date,
  maxAgeMs: number,
  maxBytes: number,
): Promise<LoadedOrProblem> {
  const cached = cache.urls.get(url);
  if (cached !== undefined && Date.now() - cached.fetchedAtMs < maxAgeMs && isCurrent(cached.crl.crl, at)) {
    return { ok: true, crl: cached.crl };
  }
  const running = cache.inflight.get(url);
  if (running !== undefined) return running; // concurrent PKI-AUTH requests share one download
  const download = (async (): Promise<LoadedOrProblem> => {
    const fetched = await boundedFetch(url, {
      maxBytes,
      timeoutMs: CRL_FETCH_TIMEOUT_MS,
      accept: 'application/pkix-crl',
    });
    if (!fetched.ok) return { ok: false, message: `CRL ${url}: ${fetched.message}` };
    const parsed = parseCrl(fetched.body, url);
    if (parsed.ok) cache.urls.set(url, { crl: parsed.crl, fetchedAtMs: Date.now() });
    return parsed;
  })();
  cache.inflight.set(url, download);
  try {
    return await download;
  } finally {
    cache.inflight.delete(url);
  }
}

async function loadCrlFromFile(file: string, cache: CrlCache, maxBytes: number): Promise<LoadedOrProblem> {
  try {
    // Every PKI-AUTH looks at the file, so a newly published CRL is heard on the next request. A synchronous stat
    // of a local file is a few microseconds; the promise version costs far more in bookkeeping per request.
    const info = statSync(file);
    const cached = cache.files.get(file);
    if (cached !== undefined && cached.mtimeMs === info.mtimeMs && cached.size === info.size && cached.ino === info.ino)
      return { ok: true, crl: cached.crl };
    if (info.size > maxBytes) return { ok: false, message: `CRL file ${file} is larger than ${maxBytes} bytes` };
    const parsed = parseCrl(derFromFile(await readFile(file)), file);
    if (parsed.ok) cache.files.set(file, { crl: parsed.crl, mtimeMs: info.mtimeMs, size: info.size, ino: info.ino });
    return parsed;
  } catch (error) {
    return {
      ok: false,
      message: `CRL file ${file} cannot be read: ${error instanceof Error ? error.message.slice(0, 120) : 'unknown error'}`,
    };
  }
}

/** CRL files may be DER or PEM (any BEGIN label: tools disagree on "X509 CRL"). */
function derFromFile(content: Buffer): Uint8Array {
  const text = content.subarray(0, 64).toString('latin1');
  if (!text.startsWith('-----BEGIN')) return new Uint8Array(content);
  const body = content
    .toString('latin1')
    .split(/\r?\n/)
    .filter((line) => line.length > 0 && !line.startsWith('-----'))
    .join('');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

export function parseCrl(der: Uint8Array, source: string): LoadedOrProblem {
  let envelope: CrlEnvelope;
  try {
    envelope = splitCrlEnvelope(der);
  } catch (error) {
    return {
      ok: false,
      message: `CRL ${source} is not a DER CRL: ${error instanceof DerFormatError ? error.message.slice(0, 120) : 'unreadable'}`,
    };
  }
  try {
    const asn = asn1js.fromBER(envelope.skeleton);
    if (asn.offset === -1 || asn.offset !== envelope.skeleton.byteLength)
      return { ok: false, message: `CRL ${source} is not a single DER structure` };
    const crl = new pkijs.CertificateRevocationList({ schema: asn.result });
    // The signature is checked over the TBS as signed, entries included, never over the skeleton's.
    crl.tbsView = envelope.signedTbs;
    const contents = readCrlContents(crl, der, envelope.revoked);
    return { ok: true, crl: { source, crl, contents, signatureValidFor: new WeakMap(), issuedBy: new WeakMap() } };
  } catch (error) {
    return {
      ok: false,
      message: `CRL ${source} cannot be parsed: ${error instanceof Error ? error.message.slice(0, 120) : 'unknown error'}`,
    };
  }
}

export function isCurrent(crl: pkijs.CertificateRevocationList, at: Date): boolean {
  return (
    crl.nextUpdate !== undefined &&
    crl.nextUpdate.value.getTime() >= at.getTime() &&
    crl.thisUpdate.value.getTime() <= at.getTime() + CLOCK_SKEW_MS
  );
}

/**
 * Whether the CRL's issuer name is `ca`'s subject name: the cheap first filter (a configured CA certificate's
 * pkijs subject is parsed once), remembered per certificate object.
 */
export function crlIssuedBy(loaded: LoadedCrl, ca: ParsedCertificate): boolean {
  let matches = loaded.issuedBy.get(ca);
  if (matches === undefined) {
    matches = loaded.crl.issuer.isEqual(ca.pkijs.subject);
    loaded.issuedBy.set(ca, matches);
  }
  return matches;
}

/** Whether `signer`'s key verifies the CRL's signature; signature checks are costly, so remembered per signer object. */
export async function crlSignedBy(loaded: LoadedCrl, signer: ParsedCertificate): Promise<boolean> {
  const known = loaded.signatureValidFor.get(signer);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    valid = await loaded.crl.verify({ issuerCertificate: signer.pkijs });
  } catch {
    valid = false; // pkijs throws on key/algorithm mismatches: that is a signature that does not verify
  }
  loaded.signatureValidFor.set(signer, valid);
  return valid;
}
