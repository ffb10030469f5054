// Shared steps of the lifecycle tests: a derived credential issued through the real issuer (the phone reporting a
// device), its PEM files on disk for OpenSSL, and the issuer's CRL fetched as a relying party would.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, get } from 'node:https';
import { join } from 'node:path';
import { ISSUER_API, routePath } from '../../../../contracts/issuer-routes.ts';
import type { RedeemResponse } from '../../../../contracts/issuer-api.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { makeCsr, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';

export interface IssuedCredential {
  serialNumberHex: string;
  certificateFile: string;
  certificatePem: string;
}

let files = 0;

/** The whole flow, the phone reporting `deviceId`: the redeem answer's certificate, written to a PEM file. */
export async function issueCredential(
  h: IssuerHarness,
  options: { card?: IssuedCardCertificate; deviceId?: string } = {},
): Promise<IssuedCredential> {
  const { code, accessToken } = await upToRedeem(h, options.card);
  const answer = await h.http.send<RedeemResponse>(
    'POST',
    routePath('redeemEnrollment', { enrollmentId: code.enrollmentId }),
    {
      json: {
        otp: code.otp,
        csr: await makeCsr(),
        ...(options.deviceId === undefined
          ? {}
          : { device: { id: options.deviceId, platform: 'Android 15', model: 'Pixel 9' } }),
      },
      bearer: accessToken,
    },
  );
  if (answer.status !== 200) throw new Error(`redeem failed: ${answer.text}`);
  const certificateFile = join(h.dataDir, `derived-${(files += 1)}.pem`);
  writeFileSync(certificateFile, answer.body.certificatePem);
  return { serialNumberHex: answer.body.serialNumberHex, certificateFile, certificatePem: answer.body.certificatePem };
}

/** GET over HTTPS trusting only the issuer's TLS certificate: status and raw bytes. */
export function fetchBytes(
  h: IssuerHarness,
  path: string,
): Promise<{ status: number; body: Buffer; contentType: string }> {
  const agent = new Agent({ ca: h.issuer.tlsCertificatePem });
  return new Promise((resolve, reject) => {
    get(new URL(path, h.issuer.url), { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        agent.destroy();
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          contentType: String(res.headers['content-type']),
        });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The CA certificate and the current CRL (DER) in files, as `openssl verify -CRLfile` takes them. */
export async function relyingPartyFiles(
  h: IssuerHarness,
  generation = 1,
): Promise<{ caFile: string; crlFile: string; crlDer: Buffer }> {
  const caFile = join(h.dataDir, 'rp-ca.pem');
  writeFileSync(caFile, h.issuer.caCertificatePem);
  const crl = await fetchBytes(h, routePath('derivedCrl', { generation: String(generation) }));
  if (crl.status !== 200) throw new Error(`CRL fetch failed: ${crl.status} ${crl.body.toString('utf8')}`);
  const crlFile = join(h.dataDir, `rp-${(files += 1)}.crl`);
  writeFileSync(crlFile, crl.body);
  return { caFile, crlFile, crlDer: crl.body };
}

/** Runs OpenSSL without blocking the event loop (the issuer under test answers in this very process). */
function openssl(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('openssl', args, { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ ok: error === null, output: `${stdout}${stderr}` });
    });
  });
}

/** `openssl verify -crl_check` of the certificate: its output and whether it passed. */
export function opensslVerify(
  caFile: string,
  crlFile: string,
  certificateFile: string,
): Promise<{ ok: boolean; output: string }> {
  return openssl(['verify', '-crl_check', '-CAfile', caFile, '-CRLfile', crlFile, certificateFile]);
}

/** `openssl ocsp` against the running issuer's responder (HTTPS, its TLS certificate trusted): its full output. */
export async function opensslOcsp(h: IssuerHarness, caFile: string, certificateFile: string): Promise<string> {
  const answer = await openssl([
    'ocsp',
    '-issuer',
    caFile,
    '-cert',
    certificateFile,
    '-url',
    `${h.issuer.url}${ISSUER_API.ocsp.path}`,
    '-CAfile',
    caFile,
    '-resp_text',
    '-timeout',
    '10',
  ]);
  return answer.ok ? answer.output : `FAILED ${answer.output}`;
}
