// A large card CRL for the eligibility benchmark, written as DER directly (an ASN.1 object model takes minutes and
// gigabytes for 300,000 entries) and signed with the test CA's key, so the issuer's own parser reads, scopes and
// verifies it as it would a real one. Entries carry a serial and a revocation date only, as most CAs' do.
import { createPrivateKey, sign } from 'node:crypto';
import { integer, objectIdentifier, sequence, smallInteger, time, tlv } from '../issuer/ca/der.ts';
import { readCertificateFields } from '../issuer/pki-auth/certificate-fields.ts';
import type { TestCertificateAuthority } from '../virtual-card/test-pki.ts';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const CRL_NUMBER = '2.5.29.20';

export interface LargeCrlOptions {
  readonly issuer: TestCertificateAuthority;
  /** Serial magnitudes (unsigned big-endian) of the revoked certificates. */
  readonly serials: readonly Uint8Array[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export function buildLargeCrl(options: LargeCrlOptions): Uint8Array {
  if (options.issuer.keyAlgorithm !== 'P-256') throw new Error('the benchmark CRL is signed by a P-256 test CA');
  const algorithm = sequence(objectIdentifier(ECDSA_WITH_SHA256));
  const revocationDate = time(new Date(options.thisUpdate.getTime() - 60_000));
  // One argument per entry would overflow the call stack at this size: the entries are joined first.
  const entries = options.serials.map((serial) => sequence(integer(serial), revocationDate));
  const extensions = tlv(0xa0, sequence(sequence(objectIdentifier(CRL_NUMBER), tlv(0x04, smallInteger(1)))));
  const tbs = sequence(
    smallInteger(1),
    algorithm,
    readCertificateFields(options.issuer.der).subjectName,
    time(options.thisUpdate),
    time(options.nextUpdate),
    sequence(Buffer.concat(entries)),
    extensions,
  );
  const key = createPrivateKey({ key: Buffer.from(options.issuer.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  const signature = sign('sha256', tbs, { key, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, tlv(0x03, Uint8Array.of(0), signature));
}
