// `dck ca ceremony`: makes the issuing CA's key inside a PKCS#11 token (an HSM) and writes what the issuer needs
// to use it: the CA certificate (self-signed) or a certification request for an offline root, and a JSON
// description of the key that the issuer's `ca.pkcs11` config section is filled from. The PIN is read from
// standard input or a hidden prompt, never from the command line, and wiped after use.
// Exit codes: 0 done, 1 the token refused or failed (the message names the PKCS#11 call and code), 2 usage.
// @peculiar/x509 (under issuing-ca.ts) needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { generateTokenKey, Pkcs11Failure, TokenKeyConnection } from '../../native/pkcs11/index.ts';
import type { TokenKeyAlgorithm, TokenKeyLocation, TokenKeyProtection } from '../../native/pkcs11/index.ts';
import { signatureAlgorithmFor } from '../../issuer/ca/ca-signer.ts';
import type { CaSigner } from '../../issuer/ca/ca-signer.ts';
import { buildCertificationRequest } from '../../issuer/ca/certification-request.ts';
import { caSubjectName, createSelfSignedCa } from '../../issuer/ca/issuing-ca.ts';
import { derToPem } from '../../issuer/ca/pem.ts';
import { parseArgs, UsageError } from '../args.ts';
import { readSecret, SecretInputError } from '../read-secret.ts';

export const summary =
  'CA key ceremony: generate the issuing CA key in a PKCS#11 token (HSM), write its certificate or CSR';

const USAGE = `usage: dck ca ceremony --module PATH --token LABEL --key-id HEX --out DIR
                        [--algorithm ec-p256|rsa-3072] [--name TEXT] [--csr]

  --module PATH    the HSM vendor's PKCS#11 module (absolute path; SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)
  --token LABEL    the token's label
  --key-id HEX     CKA_ID for the new key (refused if an object with this id exists: a ceremony never replaces a key)
  --algorithm A    ec-p256 (default) or rsa-3072
  --name TEXT      the CA's name: "<TEXT> Derived PIV CA" (default "Derived Credential Issuer")
  --csr            write a certification request for an offline root (ca-request.pem) instead of a
                   self-signed CA certificate (ca-certificate.pem)
  --out DIR        where ca-certificate.pem / ca-request.pem and ca-key.json go (must not hold them already)

The token's user PIN is read from standard input (first line) or a hidden prompt, never from the command line.
The key is generated in the token: sensitive, not extractable, sign-only. ca-key.json describes it
({ module, tokenLabel, keyId, algorithm, publicKeyPem, protection, certificateFile | requestFile }) and is
printed on standard output; copy module, tokenLabel and keyId into the issuer config's ca.pkcs11 section.`;

interface CeremonyArgs {
  module: string;
  token: string;
  keyId: string;
  out: string;
  algorithm: TokenKeyAlgorithm;
  name: string;
  csr: boolean;
}

const SPEC = {
  '--module': 'value',
  '--token': 'value',
  '--key-id': 'value',
  '--out': 'value',
  '--algorithm': 'value',
  '--name': 'value',
  '--csr': 'flag',
  '--help': 'flag',
} as const;

function parseCeremonyArgs(args: string[]): CeremonyArgs | string {
  let parsed;
  try {
    parsed = parseArgs(args, SPEC, 'dck ca ceremony');
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  if (parsed['--help'] === true) return 'help';
  const csr = parsed['--csr'] === true;
  const module = parsed['--module'];
  const token = parsed['--token'];
  const keyId = parsed['--key-id'];
  const out = parsed['--out'];
  if (module === undefined || token === undefined || keyId === undefined || out === undefined) {
    return '--module, --token, --key-id and --out are required';
  }
  if (!isAbsolute(module)) return '--module must be an absolute path';
  if (token.length > 32) return '--token: a token label has at most 32 characters';
  if (!/^([0-9a-fA-F]{2}){1,64}$/.test(keyId)) return '--key-id must be hex bytes, like 0a or ca01';
  const algorithm = parsed['--algorithm'] ?? 'ec-p256';
  if (algorithm !== 'ec-p256' && algorithm !== 'rsa-3072') return '--algorithm must be ec-p256 or rsa-3072';
  const name = parsed['--name'] ?? 'Derived Credential Issuer';
  if (name.length > 100) return '--name has at most 100 characters';
  return { module, token, keyId: keyId.toLowerCase(), out: resolve(out), algorithm, name, csr };
}

/** A CaSigner over the new key, for the CA certificate's or request's own signature. */
function tokenSigner(connection: TokenKeyConnection, publicKeySpkiDer: Uint8Array): CaSigner {
  return {
    signatureAlgorithmDer: signatureAlgorithmFor(
      createPublicKey({ key: Buffer.from(publicKeySpkiDer), format: 'der', type: 'spki' }),
    ).der,
    publicKeySpkiDer,
    sign: (data) => connection.sign(data),
  };
}

interface KeyDescription {
  module: string;
  tokenLabel: string;
  keyId: string;
  algorithm: TokenKeyAlgorithm;
  publicKeyPem: string;
  protection: TokenKeyProtection;
  certificateFile?: string;
  requestFile?: string;
}

async function ceremony(args: CeremonyArgs, pin: Buffer): Promise<KeyDescription> {
  const location: TokenKeyLocation = {
    modulePath: args.module,
    tokenLabel: args.token,
    keyId: Buffer.from(args.keyId, 'hex'),
  };
  // Two logins (generate, then sign the certificate or request): each gets its own copy, wiped by the call.
  const { publicKeySpkiDer, protection } = await generateTokenKey(
    location,
    Buffer.from(pin),
    args.algorithm,
    `${args.name} CA`,
  );
  const mechanism =
    args.algorithm === 'rsa-3072' ? ({ kind: 'rsa-sha256' } as const) : ({ kind: 'ecdsa', hash: 'sha256' } as const);
  const connection = TokenKeyConnection.open(location, Buffer.from(pin), mechanism, 1);
  try {
    const signer = tokenSigner(connection, publicKeySpkiDer);
    const description: KeyDescription = {
      module: args.module,
      tokenLabel: args.token,
      keyId: args.keyId,
      algorithm: args.algorithm,
      publicKeyPem: derToPem(publicKeySpkiDer, 'PUBLIC KEY'),
      protection,
    };
    if (args.csr) {
      const request = await buildCertificationRequest(caSubjectName(args.name), signer);
      description.requestFile = join(args.out, 'ca-request.pem');
      writeFileSync(description.requestFile, derToPem(request, 'CERTIFICATE REQUEST'), { flag: 'wx' });
    } else {
      const certificate = await createSelfSignedCa(signer, args.name, new Date());
      description.certificateFile = join(args.out, 'ca-certificate.pem');
      writeFileSync(description.certificateFile, derToPem(certificate), { flag: 'wx' });
    }
    writeFileSync(join(args.out, 'ca-key.json'), `${JSON.stringify(description, null, 2)}\n`, { flag: 'wx' });
    return description;
  } finally {
    connection.close();
  }
}

export async function run(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    console.log(USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (verb !== 'ceremony') {
    console.error(`dck ca: unknown subcommand ${verb.slice(0, 40)}\n\n${USAGE}`);
    return 2;
  }
  const parsed = parseCeremonyArgs(rest);
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    console.error(`dck ca ceremony: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  mkdirSync(parsed.out, { recursive: true, mode: 0o700 });
  for (const file of ['ca-certificate.pem', 'ca-request.pem', 'ca-key.json']) {
    if (existsSync(join(parsed.out, file))) {
      console.error(`dck ca ceremony: ${join(parsed.out, file)} exists: choose an empty --out`);
      return 1;
    }
  }
  let pin: Buffer;
  try {
    pin = await readSecret('Token user PIN: ');
  } catch (error) {
    console.error(`dck ca ceremony: PIN: ${error instanceof SecretInputError ? error.message : 'cannot read it'}`);
    return 1;
  }
  try {
    const description = await ceremony(parsed, pin);
    console.log(JSON.stringify(description, null, 2));
    if (
      !description.protection.sensitive ||
      description.protection.extractable ||
      !description.protection.neverExtractable
    ) {
      console.error('dck ca ceremony: WARNING: the token reports the key as extractable or not sensitive');
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof Pkcs11Failure) {
      console.error(`dck ca ceremony: the token refused: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    pin.fill(0);
  }
}
