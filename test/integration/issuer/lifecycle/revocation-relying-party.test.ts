// The issuer's CRL and OCSP responder as real relying parties see them: OpenSSL verifies a derived certificate with
// -crl_check against the CRL the certificate names, and asks the OCSP responder it names, before and after a
// revocation; hostile OCSP requests get an OCSP error answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ISSUER_API, routePath } from '../../../../contracts/issuer-routes.ts';
import { MAX_GET_PATH_SEGMENT_CHARS, MAX_REQUESTS } from '../../../../issuer/lifecycle/ocsp-responder.ts';
import {
  revokeDerivedCredential,
  suspendDerivedCredential,
  resumeDerivedCredential,
} from '../../../../issuer/lifecycle/credential-state.ts';
import { startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { fetchBytes, issueCredential, opensslOcsp, opensslVerify, relyingPartyFiles } from './lifecycle-fixture.ts';

let h: IssuerHarness;
const admin = { kind: 'admin', id: 'test admin' } as const;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function postOcsp(body: Buffer, contentType = 'application/ocsp-request'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(ISSUER_API.ocsp.path, h.issuer.url),
      {
        method: 'POST',
        ca: h.issuer.tlsCertificatePem,
        headers: { 'content-type': contentType, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }: the status byte of a short answer. */
const ocspStatusOf = (der: Buffer): number => (der[0] === 0x30 && der[2] === 0x0a ? (der[4] ?? -1) : -1);

const lifecycleDeps = () => ({
  storage: h.issuer.storage,
  now: () => new Date(),
  afterRevocationChange: () => undefined,
});

describe('derived certificates name the CRL and OCSP responder relying parties use', () => {
  it("every derived certificate names its generation's CRL and the OCSP responder", async () => {
    const credential = await issueCredential(h);
    const text = new X509Certificate(credential.certificatePem).toLegacyObject();
    expect(text.infoAccess?.['OCSP - URI']).toEqual([`${h.issuer.url}${ISSUER_API.ocsp.path}`]);
    const crl = await fetchBytes(h, '/revocation/crl/1');
    expect(crl.status).toBe(200);
    expect(crl.contentType).toBe('application/pkix-crl');
  });

  it('OpenSSL accepts the certificate with the CRL and OCSP says good; after revocation both say revoked', async () => {
    const credential = await issueCredential(h);
    const before = await relyingPartyFiles(h);
    expect(await opensslVerify(before.caFile, before.crlFile, credential.certificateFile)).toMatchObject({ ok: true });
    expect(await opensslOcsp(h, before.caFile, credential.certificateFile)).toMatch(/: good\n/);

    await revokeDerivedCredential(lifecycleDeps(), credential.serialNumberHex, 'keyCompromise', admin, 'phone lost');
    const after = await relyingPartyFiles(h);
    const verdict = await opensslVerify(after.caFile, after.crlFile, credential.certificateFile);
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/certificate revoked/);
    const ocsp = await opensslOcsp(h, after.caFile, credential.certificateFile);
    expect(ocsp).toMatch(/: revoked\n/);
    expect(ocsp).toMatch(/Reason: keyCompromise/);
  });

  it('a suspension is certificateHold in the CRL and OCSP, and a resume makes it good again; CRL numbers only grow', async () => {
    const credential = await issueCredential(h);
    const first = await relyingPartyFiles(h);
    await suspendDerivedCredential(lifecycleDeps(), credential.serialNumberHex, admin);
    const held = await relyingPartyFiles(h);
    expect(await opensslOcsp(h, held.caFile, credential.certificateFile)).toMatch(/Reason: certificateHold/);
    expect((await opensslVerify(held.caFile, held.crlFile, credential.certificateFile)).output).toMatch(
      /certificate revoked/,
    );
    await resumeDerivedCredential(lifecycleDeps(), credential.serialNumberHex, admin);
    const resumed = await relyingPartyFiles(h);
    expect(await opensslVerify(resumed.caFile, resumed.crlFile, credential.certificateFile)).toMatchObject({
      ok: true,
    });
    const number = (der: Buffer) => BigInt(`0x${crlNumberHex(der)}`);
    expect(number(held.crlDer)).toBeGreaterThan(number(first.crlDer));
    expect(number(resumed.crlDer)).toBeGreaterThan(number(held.crlDer));
  });
});

/** The cRLNumber extension's INTEGER, found after its OID (2.5.29.20) in the DER. */
function crlNumberHex(der: Buffer): string {
  const at = der.indexOf(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x14]));
  const octets = der.subarray(at + 5);
  // OCTET STRING { INTEGER }
  const length = octets[3] ?? 0;
  return octets.subarray(4, 4 + length).toString('hex');
}

describe('hostile OCSP requests get an OCSP error answer, never a crash or an HTTP error page', () => {
  it.each([
    ['garbage bytes', Buffer.from('this is not DER at all')],
    ['an empty body', Buffer.alloc(0)],
    ['DER with trailing bytes', Buffer.from([0x30, 0x00, 0x00])],
    ['a huge body (1 MiB)', Buffer.alloc(1024 * 1024, 0x30)],
  ])('%s → malformedRequest', async (_name, body) => {
    const answer = await postOcsp(body);
    expect(answer.status).toBe(200);
    expect(ocspStatusOf(answer.body)).toBe(1);
  });

  it('another content type → malformedRequest', async () => {
    const answer = await postOcsp(Buffer.from('{}'), 'application/json');
    expect(ocspStatusOf(answer.body)).toBe(1);
  });
});

describe('OCSP requests OpenSSL builds: unknown issuer, unknown serial, too many serials', () => {
  /** An OCSP request made by `openssl ocsp -reqout` for these serials under `issuerPem`. */
  async function opensslRequest(issuerPem: string, serials: string[]): Promise<Buffer> {
    const issuerFile = join(h.dataDir, `issuer-${serials.length}-${Date.now()}.pem`);
    const requestFile = `${issuerFile}.req`;
    writeFileSync(issuerFile, issuerPem);
    const serialArgs = serials.flatMap((serial) => ['-serial', `0x${serial}`]);
    await promisify(execFile)('openssl', ['ocsp', '-issuer', issuerFile, ...serialArgs, '-reqout', requestFile]);
    return readFileSync(requestFile);
  }

  it("a request naming only another CA's certificates → unauthorized", async () => {
    const otherCa = new X509Certificate(Buffer.from(h.pki.root.der)).toString();
    const answer = await postOcsp(await opensslRequest(otherCa, ['01']));
    expect(ocspStatusOf(answer.body)).toBe(6);
  });

  it('a serial this CA never issued → status unknown, signed', async () => {
    const answerFile = join(h.dataDir, 'unknown-serial.resp');
    writeFileSync(
      answerFile,
      (await postOcsp(await opensslRequest(h.issuer.caCertificatePem, ['7f00ff00ff00ff00ff00ff00ff00ff00']))).body,
    );
    const { stdout } = await promisify(execFile)('openssl', ['ocsp', '-respin', answerFile, '-resp_text', '-noverify']);
    expect(stdout).toMatch(/Cert Status: unknown/);
  });

  it(`more than ${MAX_REQUESTS} serials in one request → malformedRequest`, async () => {
    const serials = Array.from({ length: MAX_REQUESTS + 1 }, (_, i) => (i + 1).toString(16).padStart(2, '0'));
    expect(ocspStatusOf((await postOcsp(await opensslRequest(h.issuer.caCertificatePem, serials))).body)).toBe(1);
  });
});

describe('OCSP by GET (RFC 6960 A.1): the request base64 in the path', () => {
  let files = 0;
  /**
   * OpenSSL builds the request (with a nonce), it goes by GET, and OpenSSL checks the answer as a relying party:
   * signature against the CA, the nonce against its request, and prints the status.
   */
  async function opensslByGet(caFile: string, certificateFile: string): Promise<string> {
    const requestFile = join(h.dataDir, `get-${(files += 1)}.req`);
    const answerFile = `${requestFile}.resp`;
    await promisify(execFile)('openssl', ['ocsp', '-issuer', caFile, '-cert', certificateFile, '-reqout', requestFile]);
    const encoded = readFileSync(requestFile).toString('base64');
    const answer = await fetchBytes(h, routePath('ocspGet', { request: encoded }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/ocsp-response');
    writeFileSync(answerFile, answer.body);
    const { stdout, stderr } = await promisify(execFile)('openssl', [
      'ocsp',
      '-reqin',
      requestFile,
      '-respin',
      answerFile,
      '-CAfile',
      caFile,
      '-resp_text',
    ]);
    return `${stdout}${stderr}`;
  }

  it('OpenSSL checks a GET answer: good, then revoked after a revocation', async () => {
    const credential = await issueCredential(h);
    const { caFile } = await relyingPartyFiles(h);
    const good = await opensslByGet(caFile, credential.certificateFile);
    expect(good).toMatch(/Response verify OK/);
    expect(good).toMatch(/Cert Status: good\n/);
    await revokeDerivedCredential(lifecycleDeps(), credential.serialNumberHex, 'keyCompromise', admin);
    const revoked = await opensslByGet(caFile, credential.certificateFile);
    expect(revoked).toMatch(/Response verify OK/);
    expect(revoked).toMatch(/Cert Status: revoked\n/);
  });

  it.each([
    ['not base64', 'not*base64'],
    ['base64 of garbage', Buffer.from('garbage that is no OCSP request').toString('base64')],
    ['base64 without its padding', 'MAo'],
    ['over the size bound', Buffer.alloc(2049, 0x30).toString('base64')],
  ])('%s → malformedRequest', async (_case, segment) => {
    const answer = await fetchBytes(h, `${ISSUER_API.ocsp.path}/${encodeURIComponent(segment)}`);
    expect(answer.status).toBe(200);
    expect(ocspStatusOf(answer.body)).toBe(1);
  });

  it('a path longer than the router takes → 404 not-found in the error table shape, the path not echoed', async () => {
    const answer = await fetchBytes(h, `${ISSUER_API.ocsp.path}/${'A'.repeat(MAX_GET_PATH_SEGMENT_CHARS + 4)}`);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ error: 'not-found' });
    expect(answer.body.byteLength).toBeLessThan(500);
  });
});
