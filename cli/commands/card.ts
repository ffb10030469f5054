// `dck card …`: readers, card information, PIN check and PKI-AUTH signing, for help-desk agents and
// tests. Talks to cards through native/pcsc (our PIV card edge in piv/) or, with --pkcs11 MODULE,
// through a PKCS#11 middleware module (native/pkcs11). PINs come from stdin or a hidden prompt only.
//
// Exit codes: 0 done, 1 the card/reader/service said no, 2 the command line is wrong.
// `--json` output shapes are documented at each `printJson` call and only ever grow.
import { randomBytes, verify, X509Certificate } from 'node:crypto';
import type { CardInfo, CertificateSummary } from '../../contracts/card.ts';
import {
  PKI_AUTH_ISSUER_NONCE_BYTES,
  PKI_AUTH_KIOSK_NONCE_BYTES,
  pkiAuthMessage,
} from '../../contracts/pki-auth-message.ts';
import { createSmartCardService, isSmartCardError, SmartCardError } from '../../native/pcsc/index.ts';
import type { CardConnection, ReaderStatus, SmartCardService } from '../../native/pcsc/index.ts';
import {
  listTokens,
  Pkcs11Failure,
  readCertificate,
  signWithKey,
  verifyPin as verifyPinPkcs11,
} from '../../native/pkcs11/index.ts';
import type { Pkcs11Config } from '../../native/pkcs11/index.ts';
import { isPivError, PivCard, readCardInfo, signChallenge, verifyPinSafely } from '../../piv/index.ts';
import { connectedReader, requireConnectedReader } from '../../main/card/reader-binding.ts';
import { parseArgs, printable, readerOption, UsageError } from '../args.ts';
import type { OptionSpec } from '../args.ts';
import { readSecret, SecretInputError } from '../read-secret.ts';
import { terminalSafe, terminalSafeJson } from '../terminal-text.ts';

export const summary = 'smart cards: list readers, show card info, check the PIN, sign a challenge';

const USAGE = `usage:
  dck card list [--json]
  dck card info [--reader NAME] [--pkcs11 MODULE] [--json]
  dck card verify-pin [--reader NAME] [--last-try] [--pkcs11 MODULE] [--json]
  dck card sign --challenge HEX [--kiosk-nonce HEX] [--reader NAME] [--pkcs11 MODULE] [--json]

The PIN is read from standard input (or typed at a hidden prompt), never from the command line.
verify-pin refuses to send a PIN when only one try is left, unless --last-try is given.
sign is PKI-AUTH: --challenge is the issuer's 32-byte challenge (64 hex digits); the card signs
"DCK PKI-AUTH v1" NUL challenge kiosk-nonce (contracts/pki-auth-message.ts), never the raw bytes.
--kiosk-nonce (32 bytes) is random unless given (to compare two signing paths).
--pkcs11 MODULE goes through a PKCS#11 module (e.g. /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so).
Exit codes: 0 success, 1 failure (card, reader, PIN, service), 2 wrong command line.

--json output (stable: fields are only ever added):
  list        [{ "reader": string, "cardPresent": boolean, "atr": hex | null }]
  info        CardInfo, schemaVersion 1 (contracts/card.ts);
              with --pkcs11: { "token": {...}, "certificate9A": {...} | null }
  verify-pin  { "result": "correct" | "wrong" | "blocked" | "refused-last-try", "triesLeft": number | null }
  sign        { "signature": hex, "kioskNonce": hex, "verified": boolean, "certificateSha256": hex, "path": "piv" | "pkcs11" }`;

const MAX_ARGUMENT_CHARS = 256;

// ---- command line ----------------------------------------------------------------------------

/** A failure already explained to the user in words; carries the exit code. */
class Reported extends Error {
  constructor(readonly exitCode: number) {
    super('reported');
  }
}

interface Options {
  readonly json: boolean;
  readonly lastTry: boolean;
  readonly reader?: string;
  readonly pkcs11?: string;
  readonly challenge?: string;
  readonly kioskNonce?: string;
}

/** Each subcommand's options (cli/args.ts reads them). */
const OPTIONS = {
  list: { '--json': 'flag' },
  info: { '--json': 'flag', '--reader': 'value', '--pkcs11': 'value' },
  'verify-pin': { '--json': 'flag', '--reader': 'value', '--pkcs11': 'value', '--last-try': 'flag' },
  sign: {
    '--json': 'flag',
    '--reader': 'value',
    '--pkcs11': 'value',
    '--challenge': 'value',
    '--kiosk-nonce': 'value',
  },
} as const satisfies Record<string, OptionSpec>;
type Subcommand = keyof typeof OPTIONS;
const isSubcommand = (name: string): name is Subcommand => Object.prototype.hasOwnProperty.call(OPTIONS, name);

function parseOptions(subcommand: Subcommand, args: readonly string[]): Options {
  // The subcommands' specs differ; read the result as one record (every name is checked against its spec).
  const parsed: Readonly<Record<string, true | string | undefined>> = parseArgs<OptionSpec>(
    args,
    OPTIONS[subcommand],
    `dck card ${subcommand}`,
  );
  for (const name of ['--reader', '--pkcs11', '--challenge', '--kiosk-nonce'] as const) {
    const value = parsed[name];
    if (typeof value === 'string' && value.length > MAX_ARGUMENT_CHARS)
      throw new UsageError(`the value of ${name} is too long`);
  }
  const text = (name: `--${string}`): string | undefined => {
    const value = parsed[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    json: parsed['--json'] === true,
    lastTry: parsed['--last-try'] === true,
    reader: readerOption(text('--reader')),
    pkcs11: text('--pkcs11'),
    challenge: text('--challenge'),
    kioskNonce: text('--kiosk-nonce'),
  };
}

/** A PKI-AUTH nonce given in hex: exactly `bytes` bytes (the card never signs a differently shaped message). */
function parseNonce(name: string, hex: string, bytes: number): Uint8Array {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (clean.length === 0 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) {
    throw new UsageError(`${name} must be hexadecimal: an even number of the characters 0-9 and a-f`);
  }
  if (clean.length !== bytes * 2)
    throw new UsageError(`${name} must be exactly ${bytes} bytes (${bytes * 2} hex digits), not ${clean.length / 2}`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

function parseChallenge(hex: string | undefined): Uint8Array {
  if (hex === undefined)
    throw new UsageError(
      `--challenge HEX is required (the issuer's ${PKI_AUTH_ISSUER_NONCE_BYTES}-byte PKI-AUTH challenge, in hex)`,
    );
  return parseNonce('--challenge', hex, PKI_AUTH_ISSUER_NONCE_BYTES);
}

function parseKioskNonce(hex: string | undefined): Uint8Array {
  return hex === undefined
    ? new Uint8Array(randomBytes(PKI_AUTH_KIOSK_NONCE_BYTES))
    : parseNonce('--kiosk-nonce', hex, PKI_AUTH_KIOSK_NONCE_BYTES);
}

// ---- entry -----------------------------------------------------------------------------------

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    console.log(USAGE);
    return subcommand === undefined ? 2 : 0;
  }
  try {
    if (!isSubcommand(subcommand)) throw new UsageError(`unknown subcommand "${printable(subcommand)}"`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(USAGE);
      return 0;
    }
    const options = parseOptions(subcommand, rest);
    // The PKCS#11 module names its slots after the readers: a reader that is not there is named as without it.
    if (options.pkcs11 !== undefined && options.reader !== undefined)
      await connectedReader(createSmartCardService(), options.reader);
    switch (subcommand) {
      case 'list':
        return await listCommand(options);
      case 'info':
        return await infoCommand(options);
      case 'verify-pin':
        return await verifyPinCommand(options);
      case 'sign':
        return await signCommand(options);
    }
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof Reported) return error.exitCode;
  if (error instanceof UsageError) {
    console.error(terminalSafe(`dck card: ${error.message}\n\n${USAGE}`, { multiline: true }));
    return 2;
  }
  console.error(terminalSafe(`dck card: ${explain(error)}`));
  return 1;
}

/** Plain-words explanation of any failure; no stack, no bytes. */
function explain(error: unknown): string {
  const smartCard = findSmartCardError(error);
  if (smartCard !== null) {
    if (smartCard.code === 'service-unavailable')
      return 'smart card service not running (start pcscd, or the Smart Card service on Windows)';
    return smartCard.message;
  }
  if (isPivError(error)) return `${error.message} [${error.code}]`;
  if (error instanceof Pkcs11Failure) return explainPkcs11(error);
  if (error instanceof SecretInputError) return `PIN: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The PIV card edge wraps transport failures; the SmartCardError inside says what really happened. */
function findSmartCardError(error: unknown): SmartCardError | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    if (isSmartCardError(current)) return current;
  }
  return null;
}

function explainPkcs11(error: Pkcs11Failure): string {
  const words: Partial<Record<string, string>> = {
    'module-load-failed': 'the PKCS#11 module could not be loaded (check the path given to --pkcs11)',
    'no-token': 'no card (token) found through the PKCS#11 module',
    'no-certificate': 'the card has no PIV Authentication certificate (CKA_ID 01)',
    'no-private-key': 'the card has no PIV Authentication key (CKA_ID 01)',
    CKR_PIN_INCORRECT: 'wrong PIN',
    CKR_PIN_LOCKED: 'the PIN is blocked',
    CKR_PIN_LEN_RANGE: 'the PIN has the wrong length',
    CKR_TOKEN_NOT_PRESENT: 'there is no card in the reader',
    CKR_DEVICE_REMOVED: 'the card was removed',
  };
  return `${words[error.code] ?? 'the PKCS#11 module reported an error'} (${error.operation}: ${error.code})`;
}

// ---- list ------------------------------------------------------------------------------------

async function listCommand(options: Options): Promise<number> {
  const readers = await createSmartCardService().listReaders();
  if (options.json) {
    // [{ "reader": string, "cardPresent": boolean, "atr": hex string | null }]
    printJson(
      readers.map((reader) => ({
        reader: reader.name,
        cardPresent: reader.cardPresent,
        atr: reader.atr === null ? null : hex(reader.atr),
      })),
    );
    return 0;
  }
  if (readers.length === 0) {
    console.log('No card readers found. Plug in a reader (and check that pcscd can see it).');
    return 0;
  }
  for (const reader of readers) {
    console.log(
      terminalSafe(
        `${reader.name}: ${reader.cardPresent ? `card present, ATR ${hex(reader.atr ?? new Uint8Array())}` : 'no card'}`,
      ),
    );
  }
  return 0;
}

// ---- choosing a reader and connecting --------------------------------------------------------

async function chooseReader(service: SmartCardService, wanted: string | undefined): Promise<ReaderStatus> {
  const readers = await service.listReaders();
  if (wanted !== undefined) {
    const name = requireConnectedReader(
      wanted,
      readers.map((candidate) => candidate.name),
    );
    const reader = readers.find((candidate) => candidate.name === name);
    if (reader === undefined) throw new SmartCardError('no-reader', printable(name)); // listed a moment ago
    if (!reader.cardPresent) throw new SmartCardError('no-card', reader.name);
    return reader;
  }
  const withCards = readers.filter((reader) => reader.cardPresent);
  if (readers.length === 0) throw new SmartCardError('no-reader', 'no readers are connected');
  const [first, second] = withCards;
  if (first === undefined) throw new SmartCardError('no-card', 'no reader has a card');
  if (second !== undefined)
    throw new UsageError(
      `several readers hold a card; choose one with --reader (${withCards.map((reader) => `"${reader.name}"`).join(', ')})`,
    );
  return first;
}

async function withCard<T>(
  readerName: string | undefined,
  use: (connection: CardConnection) => Promise<T>,
): Promise<T> {
  const service = createSmartCardService();
  const reader = await chooseReader(service, readerName);
  const connection = await service.connect(reader.name);
  try {
    return await use(connection);
  } finally {
    // Reset: a PIN verified by this command must not stay verified for whatever runs next.
    await connection.disconnect({ reset: true });
  }
}

function pivCardOn(connection: CardConnection): PivCard {
  return new PivCard(connection, { atr: connection.atr });
}

function pkcs11Config(modulePath: string, readerName: string | undefined): Pkcs11Config {
  return { modulePath, readerName };
}

// ---- info ------------------------------------------------------------------------------------

async function infoCommand(options: Options): Promise<number> {
  if (options.pkcs11 !== undefined) return pkcs11InfoCommand(options.pkcs11, options);
  const info = await withCard(options.reader, (connection) => readCardInfo(pivCardOn(connection), connection.atr));
  if (options.json) {
    printJson(info); // contracts/card.ts CardInfo (schemaVersion 1)
    return 0;
  }
  printCardInfo(info);
  return 0;
}

function printCardInfo(info: CardInfo): void {
  const lines: string[] = [`Card ATR: ${info.atr}`];
  lines.push(`PIV application: ${info.application.label ?? 'unnamed'} (AID ${info.application.aid})`);
  const chuid = info.chuid;
  if (chuid === null) {
    lines.push('CHUID: not present');
  } else {
    lines.push('CHUID:');
    if (chuid.fascn !== null) {
      const f = chuid.fascn;
      const checks =
        f.parityOk && f.lrcOk
          ? 'checks OK'
          : `CHECK FAILED (parity ${f.parityOk ? 'ok' : 'bad'}, LRC ${f.lrcOk ? 'ok' : 'bad'})`;
      lines.push(
        `  FASC-N: agency ${f.agencyCode}, system ${f.systemCode}, credential ${f.credentialNumber}, series ${f.credentialSeries}, issue ${f.individualCredentialIssue} — ${checks}`,
      );
      lines.push(
        `          person ${f.personIdentifier}, org category ${f.organizationalCategory}, org ${f.organizationalIdentifier}, association ${f.personOrganizationAssociation}`,
      );
    } else {
      lines.push(`  FASC-N: ${chuid.fascnError ?? 'not present'}`);
    }
    lines.push(`  Card UUID (GUID): ${chuid.guid ?? 'not present'}`);
    lines.push(`  Cardholder UUID: ${chuid.cardholderUuid ?? 'not present'}`);
    lines.push(`  Expires: ${chuid.expirationDate ?? 'unknown'}`);
    lines.push(`  Signed by issuer: ${chuid.signed ? 'yes' : 'NO'}`);
  }
  lines.push(
    `Primary PIN: ${info.discovery === null ? 'application PIN (no discovery object)' : `${info.discovery.primaryPin} PIN`}`,
  );
  lines.push(`PIN tries left: ${info.pin === null ? 'unknown' : describeTries(info.pin.triesLeft)}`);
  for (const slot of ['9A', '9C', '9D', '9E'] as const) {
    const certificate = info.certificates[slot];
    lines.push(`Certificate ${slot} (${SLOT_NAMES[slot]}):${certificate === null ? ' none' : ''}`);
    if (certificate !== null) lines.push(...describeCertificate(certificate).map((line) => `  ${line}`));
  }
  for (const problem of info.problems)
    lines.push(`Problem reading ${problem.object}: ${problem.message} [${problem.code}]`);
  // The label, names and messages came from the card: one line at a time, through the sanitizer.
  console.log(lines.map((line) => terminalSafe(line)).join('\n'));
}

const SLOT_NAMES = {
  '9A': 'PIV Authentication',
  '9C': 'Digital Signature',
  '9D': 'Key Management',
  '9E': 'Card Authentication',
} as const;

function describeTries(tries: number | 'blocked' | 'verified'): string {
  if (tries === 'blocked') return 'none — the PIN is BLOCKED (the card issuer must reset it)';
  if (tries === 'verified') return 'PIN already verified in this session';
  return String(tries);
}

function describeCertificate(certificate: CertificateSummary): string[] {
  const expired = Date.parse(certificate.notAfter) < Date.now();
  const key =
    certificate.keyAlgorithm === 'RSA'
      ? `RSA ${certificate.keySize ?? '?'} bits`
      : `${certificate.keyAlgorithm} ${certificate.curve ?? ''}`.trim();
  return [
    `Subject: ${certificate.subject}`,
    `Issuer: ${certificate.issuer}`,
    `Serial: ${certificate.serialNumber}`,
    `Valid: ${certificate.notBefore} to ${certificate.notAfter}${expired ? '  — EXPIRED' : ''}`,
    `Key: ${key}`,
    `Policies: ${certificate.policyOids.length === 0 ? 'none' : certificate.policyOids.join(', ')}`,
    ...(certificate.fascn === null
      ? []
      : [
          `FASC-N in certificate: agency ${certificate.fascn.agencyCode}, system ${certificate.fascn.systemCode}, credential ${certificate.fascn.credentialNumber}`,
        ]),
    ...(certificate.uuid === null ? [] : [`UUID in certificate: ${certificate.uuid}`]),
  ];
}

async function pkcs11InfoCommand(modulePath: string, options: Options): Promise<number> {
  const config = pkcs11Config(modulePath, options.reader);
  const tokens = await listTokens(config);
  const chosen = tokens.find(
    (token) => options.reader === undefined || token.slotDescription.startsWith(options.reader),
  );
  if (chosen === undefined) throw new Pkcs11Failure('no-token', 'C_GetSlotList');
  const { certificateDer } = await readCertificate(config).catch((error: unknown) => {
    if (error instanceof Pkcs11Failure && error.code === 'no-certificate') return { certificateDer: null };
    throw error;
  });
  const certificate = certificateDer === null ? null : summariseCertificate(certificateDer);
  if (options.json) {
    // { "token": TokenSummary (native/pkcs11), "certificate9A": { subject, issuer, serialNumber, notBefore, notAfter, keyAlgorithm, sha256Fingerprint } | null }
    printJson({ token: chosen, certificate9A: certificate });
    return 0;
  }
  console.log(
    [
      `Token: ${chosen.label} (${chosen.manufacturer} ${chosen.model}, serial ${chosen.serialNumber})`,
      `Reader/slot: ${chosen.slotDescription}`,
      `PIN: ${chosen.pinLocked ? 'BLOCKED' : chosen.pinFinalTry ? 'one try left' : chosen.pinCountLow ? 'some wrong tries recorded' : 'no wrong tries reported'}`,
      `Certificate 9A (CKA_ID 01):${certificate === null ? ' none' : ''}`,
      ...(certificate === null
        ? []
        : [
            `  Subject: ${certificate.subject}`,
            `  Issuer: ${certificate.issuer}`,
            `  Serial: ${certificate.serialNumber}`,
            `  Valid: ${certificate.notBefore} to ${certificate.notAfter}`,
            `  Key: ${certificate.keyAlgorithm}`,
          ]),
    ]
      .map((line) => terminalSafe(line))
      .join('\n'),
  );
  return 0;
}

function summariseCertificate(der: Uint8Array): Record<string, string> {
  const certificate = new X509Certificate(der);
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    serialNumber: certificate.serialNumber.toLowerCase(),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    keyAlgorithm: certificate.publicKey.asymmetricKeyType ?? 'unknown',
    sha256Fingerprint: certificate.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

// ---- verify-pin ------------------------------------------------------------------------------

async function verifyPinCommand(options: Options): Promise<number> {
  // Like info and sign: without --reader, the one reader that holds a card (chooseReader says when there are more).
  if (options.pkcs11 !== undefined) return pkcs11VerifyPinCommand(options.pkcs11, options.reader, options);
  return withCard(options.reader, async (connection) => {
    const pin = await readSecret('PIN: ');
    try {
      const result = await verifyPinSafely(pivCardOn(connection), pin, { allowLastTry: options.lastTry });
      const outcome: PinOutcome =
        result.outcome === 'wrong'
          ? { status: 'wrong', triesLeft: result.triesLeft }
          : result.outcome === 'last-try-refused'
            ? { status: 'refused-last-try' }
            : { status: result.outcome };
      return reportPinOutcome(outcome, options.json);
    } finally {
      pin.fill(0);
    }
  });
}

type PinOutcome =
  | { status: 'correct' }
  | { status: 'wrong'; triesLeft: number | null }
  | { status: 'blocked' }
  | { status: 'refused-last-try' };

/**
 * Text: "correct" / "wrong: N tries left" / "blocked" / a refusal. JSON: { "result": "correct" |
 * "wrong" | "blocked" | "refused-last-try", "triesLeft": number | null }. Exit 0 only for correct.
 */
function reportPinOutcome(outcome: PinOutcome, json: boolean): number {
  const triesLeft =
    outcome.status === 'wrong'
      ? outcome.triesLeft
      : outcome.status === 'blocked'
        ? 0
        : outcome.status === 'refused-last-try'
          ? 1
          : null;
  if (json) {
    printJson({ result: outcome.status, triesLeft });
  } else if (outcome.status === 'correct') {
    console.log('correct');
  } else if (outcome.status === 'wrong') {
    console.log(
      outcome.triesLeft === null
        ? 'wrong: tries left unknown'
        : `wrong: ${outcome.triesLeft} ${outcome.triesLeft === 1 ? 'try' : 'tries'} left`,
    );
  } else if (outcome.status === 'blocked') {
    console.log('blocked');
  } else {
    console.log(
      'refused: only one PIN try is left; a wrong PIN now would block the card. Run again with --last-try to use it.',
    );
  }
  return outcome.status === 'correct' ? 0 : 1;
}

async function pkcs11VerifyPinCommand(
  modulePath: string,
  reader: string | undefined,
  options: Options,
): Promise<number> {
  const pin = await readSecret('PIN: ');
  try {
    const outcome = await verifyPinPkcs11(pkcs11Config(modulePath, reader), pin, { allowLastTry: options.lastTry });
    return reportPinOutcome(
      outcome.status === 'wrong' ? { status: 'wrong', triesLeft: outcome.triesLeft } : outcome,
      options.json,
    );
  } catch (error) {
    if (error instanceof Pkcs11Failure && error.code === 'last-try-refused')
      return reportPinOutcome({ status: 'refused-last-try' }, options.json);
    throw error;
  } finally {
    pin.fill(0);
  }
}

// ---- sign ------------------------------------------------------------------------------------

interface SignResult {
  readonly signature: Uint8Array;
  readonly kioskNonce: Uint8Array;
  readonly certificateDer: Uint8Array;
  readonly path: 'piv' | 'pkcs11';
  readonly verified: boolean;
}

async function signCommand(options: Options): Promise<number> {
  const challenge = parseChallenge(options.challenge);
  const kioskNonce = parseKioskNonce(options.kioskNonce);
  const result =
    options.pkcs11 !== undefined
      ? await signThroughPkcs11(options.pkcs11, options.reader, challenge, kioskNonce)
      : await withCard(options.reader, (connection) => signThroughPiv(connection, challenge, kioskNonce));
  const { verified } = result;
  if (options.json) {
    // { "signature": hex, "verified": boolean, "certificateSha256": hex, "path": "piv" | "pkcs11" }
    printJson({
      signature: hex(result.signature),
      kioskNonce: hex(result.kioskNonce),
      verified,
      certificateSha256: new X509Certificate(result.certificateDer).fingerprint256.replace(/:/g, '').toLowerCase(),
      path: result.path,
    });
  } else {
    console.log(`kiosk nonce: ${hex(result.kioskNonce)}`);
    console.log(`signature: ${hex(result.signature)}`);
    console.log(
      verified
        ? 'verified: the signature matches the PIV Authentication (9A) certificate'
        : 'NOT VERIFIED: the signature does not match the 9A certificate',
    );
  }
  return verified ? 0 : 1;
}

async function signThroughPiv(
  connection: CardConnection,
  challenge: Uint8Array,
  kioskNonce: Uint8Array,
): Promise<SignResult> {
  const pin = await readSecret('PIN: ');
  try {
    // signChallenge verifies the PIN safely (primary PIN, last-try rule) and checks the signature.
    const { signature, certificateDer, verified } = await signChallenge(pivCardOn(connection), challenge, pin, {
      kioskNonce,
    });
    return { signature, kioskNonce, certificateDer, verified, path: 'piv' };
  } finally {
    pin.fill(0);
  }
}

async function signThroughPkcs11(
  modulePath: string,
  reader: string | undefined,
  challenge: Uint8Array,
  kioskNonce: Uint8Array,
): Promise<SignResult> {
  const built = pkiAuthMessage(challenge, kioskNonce);
  if (!built.ok) throw new UsageError(built.reason);
  const pin = await readSecret('PIN: ');
  try {
    const { signature, certificateDer } = await signWithKey(pkcs11Config(modulePath, reader), pin, built.message);
    return {
      signature,
      kioskNonce,
      certificateDer,
      verified: verifiesAgainstCertificate(built.message, signature, certificateDer),
      path: 'pkcs11',
    };
  } finally {
    pin.fill(0);
  }
}

/** The PKCS#11 path signs SHA-256 of the PKI-AUTH message: PKCS#1 v1.5 for RSA keys, DER ECDSA for EC keys. */
function verifiesAgainstCertificate(message: Uint8Array, signature: Uint8Array, certificateDer: Uint8Array): boolean {
  try {
    return verify('sha256', message, new X509Certificate(certificateDer).publicKey, signature);
  } catch (error) {
    void error; // a malformed signature is simply "does not verify"
    return false;
  }
}

// ---- output ----------------------------------------------------------------------------------

function printJson(value: unknown): void {
  console.log(terminalSafeJson(value, 2));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
