// `dck phone …`: a command-line stand-in for the mobile app (device code, QR, OTP, key + CSR, certificate).
// Help-desk agents and tests use it to exercise an issuer without a phone. The OTP is read from standard input
// or a hidden prompt, never from the command line; tokens and the private key stay in the 0600 state files.
//
// Exit codes: 0 done, 1 the issuer/QR/chain said no, 2 the command line is wrong.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { connectToIssuer, type IssuerConnection } from '../../contracts/issuer-caller.ts';
import { decodeQrImageFile } from '../../phone/qr-code.ts';
import { RETRY_FAILURES_MAX, type RetryNotice } from '../../phone/issuer-retry.ts';
import { pkcs8ToPem } from '../../phone/key-and-csr.ts';
import {
  STAND_IN_REPORT,
  fetchCredentialStatus,
  fetchIssuerMetadata,
  pollForToken,
  redeemEnrollment,
  startDeviceAuthorization,
  type PhoneReport,
  type PhoneResult,
} from '../../phone/phone-client.ts';
import { defaultStateDir, loadState, saveState, writePrivateFile, type PhoneState } from '../../phone/phone-state.ts';
import { parseArgs, UsageError } from '../args.ts';
import type { OptionSpec } from '../args.ts';
import { readSecret, SecretInputError } from '../read-secret.ts';
import { terminalSafe, terminalSafeJson } from '../terminal-text.ts';

export const summary = 'phone stand-in: device code, poll, redeem a QR + one-time password for a derived certificate';

const USAGE = `usage:
  dck phone start --issuer URL [--ca FILE] [--platform TEXT] [--model TEXT] [--app-name TEXT] [--app-version TEXT]
                  [--state DIR] [--json]
  dck phone poll [--timeout SECONDS] [--state DIR] [--json]
  dck phone redeem (--qr-text TEXT | --qr-image FILE.png) [--state DIR] [--json]
  dck phone status [--state DIR] [--json]

start   asks the issuer for a device code and prints the user code to type at the kiosk. The kiosk shows the
        phone's platform, model, app name and version before approving: --platform, --model, --app-name and
        --app-version say what this stand-in reports (default: "command line", "dck phone stand-in", "dck phone").
poll    waits until the kiosk approves that code (at the issuer's polling interval). When the kiosk shows this
        phone, poll prints the two-digit number the kiosk shows too (number matching), on standard error.
redeem  takes the kiosk's QR code (text or PNG image), reads the one-time password from standard input
        (or a hidden prompt), makes a P-256 key and a CSR, and installs the verified certificate in the state dir.
status  asks the issuer about the installed credential: active or expired, and whether it is due for renewal.
--ca FILE   the only CA trusted for the issuer's TLS certificate (e.g. a self-signed loopback issuer).
--state DIR where the phone keeps its state, key (0600) and certificate; default $DCK_PHONE_STATE_DIR or ~/.dck/phone.
Exit codes: 0 success, 1 failure (issuer, QR code, certificate), 2 wrong command line.`;

const MAX_CA_FILE_BYTES = 64 * 1024;
const OTP_PATTERN = /^[0-9]{6,12}$/;

/** Every phone subcommand also takes --state DIR and --json. */
function parse<const S extends OptionSpec>(args: readonly string[], spec: S, command: string) {
  return parseArgs(args, { ...spec, '--state': 'value', '--json': 'flag' } as const, command);
}

function output(json: boolean, data: Record<string, unknown>, lines: string[]): void {
  // Display name, user code, certificate names: the issuer chose them. Sanitized line by line.
  console.log(json ? terminalSafeJson(data) : lines.map((line) => terminalSafe(line)).join('\n'));
}

function reportFailure(result: Extract<PhoneResult<unknown>, { ok: false }>, json: boolean): number {
  const detail = {
    error: result.code,
    message: result.message,
    ...(result.issuerCode === undefined ? {} : { issuerCode: result.issuerCode }),
    ...(result.attemptsLeft === undefined ? {} : { attemptsLeft: result.attemptsLeft }),
  };
  if (json) console.log(terminalSafeJson(detail));
  else
    console.error(
      terminalSafe(
        `dck phone: ${result.message}${result.attemptsLeft === undefined ? '' : ` (${result.attemptsLeft} tries left)`} [${result.issuerCode ?? result.code}]`,
      ),
    );
  return 1;
}

async function readCa(file: string | null): Promise<string | null> {
  if (file === null) return null;
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read the CA file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (content.length > MAX_CA_FILE_BYTES || !content.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`${file} is not a PEM CA certificate file`);
  }
  return content.toString('latin1');
}

/**
 * `use` gets the connection and a signal that Ctrl-C (SIGINT) aborts: a waiting `poll` or `redeem` stops with
 * `cancelled` (the new key wiped) instead of the process dying mid-step.
 */
async function withConnection<T>(
  state: Pick<PhoneState, 'issuerUrl' | 'caFile'>,
  use: (connection: IssuerConnection, signal: AbortSignal) => Promise<T>,
): Promise<T | UsageError> {
  const connected = connectToIssuer(state.issuerUrl, await readCa(state.caFile));
  if (!connected.ok) return new UsageError(connected.message);
  const interrupted = new AbortController();
  const onInterrupt = (): void => interrupted.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await use(connected.connection, interrupted.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    connected.connection.close();
  }
}

async function start(args: string[]): Promise<number> {
  const values = parse(
    args,
    {
      '--issuer': 'value',
      '--ca': 'value',
      '--platform': 'value',
      '--model': 'value',
      '--app-name': 'value',
      '--app-version': 'value',
    },
    'dck phone start',
  );
  const report: PhoneReport = {
    device_platform: values['--platform'] ?? STAND_IN_REPORT.device_platform,
    device_model: values['--model'] ?? STAND_IN_REPORT.device_model,
    app_name: values['--app-name'] ?? STAND_IN_REPORT.app_name,
    app_version: values['--app-version'] ?? STAND_IN_REPORT.app_version,
  };
  const issuerUrl = values['--issuer'];
  if (issuerUrl === undefined) throw new UsageError('--issuer URL is required');
  const caOption = values['--ca'];
  const dir = values['--state'] ?? defaultStateDir();
  // The same phone starting again (a renewal) keeps its device id; anything else in the old state is replaced.
  const previous = await loadState(dir);
  const deviceId = previous.ok && previous.state.deviceId !== undefined ? previous.state.deviceId : randomUUID();
  const state: PhoneState = {
    version: 1,
    issuerUrl,
    caFile: caOption === undefined ? null : resolve(caOption),
    deviceId,
  };
  const json = values['--json'] === true;
  const outcome = await withConnection(state, async (connection) => {
    const metadata = await fetchIssuerMetadata(connection);
    if (!metadata.ok) return reportFailure(metadata, json);
    const flow = await startDeviceAuthorization(connection, report);
    if (!flow.ok) return reportFailure(flow, json);
    await saveState(dir, { ...state, flow: flow.value });
    const minutes = Math.round((flow.value.expiresAt - Date.now()) / 60_000);
    output(
      json,
      {
        userCode: flow.value.userCode,
        verificationUri: flow.value.verificationUri,
        expiresAt: new Date(flow.value.expiresAt).toISOString(),
        issuer: metadata.value.displayName,
      },
      [
        `Issuer: ${metadata.value.displayName}`,
        `Type this code at the kiosk: ${flow.value.userCode}`,
        `(valid for about ${minutes} min; then run \`dck phone poll\`)`,
      ],
    );
    return 0;
  });
  if (outcome instanceof UsageError) throw outcome;
  return outcome;
}

/** One stderr line per retry: what the phone was doing, why it asks again, when (no OTP or token in `reason`). */
function retryLine(doing: string, { reason, delayMs, failuresInARow }: RetryNotice): string {
  return terminalSafe(
    `${doing}: ${reason}; retrying in ${Math.ceil(delayMs / 1000)} s (${failuresInARow} of ${RETRY_FAILURES_MAX} failures in a row)…`,
  );
}

async function poll(args: string[]): Promise<number> {
  const values = parse(args, { '--timeout': 'value' }, 'dck phone poll');
  const dir = values['--state'] ?? defaultStateDir();
  const json = values['--json'] === true;
  const timeoutText = values['--timeout'];
  const timeoutSeconds = timeoutText === undefined ? undefined : Number(timeoutText);
  if (
    timeoutSeconds !== undefined &&
    (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600)
  )
    throw new UsageError('--timeout is a whole number of seconds, 1 to 3600');
  const loaded = await loadState(dir);
  if (!loaded.ok) throw new UsageError(loaded.message);
  const { state } = loaded;
  const flow = state.flow;
  if (flow === undefined) throw new UsageError('no device code yet: run `dck phone start --issuer URL` first');
  const outcome = await withConnection(state, async (connection, signal) => {
    const token = await pollForToken(connection, flow, {
      signal,
      ...(timeoutSeconds === undefined ? {} : { timeoutMs: timeoutSeconds * 1000 }),
      onPending: (interval) => {
        if (!json)
          console.error(
            terminalSafe(`waiting for the kiosk to approve ${flow.userCode} (next check in ${interval} s)…`),
          );
      },
      onRetrying: (notice) => {
        console.error(retryLine("the issuer did not answer the phone's check for the kiosk's approval", notice));
      },
      // Number matching: the phone's half. Printed in --json mode too (standard error: standard output stays one JSON).
      onMatchNumber: (matchNumber) => {
        console.error(
          terminalSafe(
            `The kiosk shows this phone. Check that it shows the number ${matchNumber}, then confirm there.`,
          ),
        );
      },
    });
    if (!token.ok) return reportFailure(token, json);
    await saveState(dir, { ...state, token: token.value });
    output(json, { approved: true, enrollmentId: token.value.enrollmentId }, [
      'Approved at the kiosk. Scan its QR code: `dck phone redeem --qr-image FILE.png` (or --qr-text).',
    ]);
    return 0;
  });
  if (outcome instanceof UsageError) throw outcome;
  return outcome;
}

async function redeem(args: string[]): Promise<number> {
  const values = parse(args, { '--qr-text': 'value', '--qr-image': 'value' }, 'dck phone redeem');
  const dir = values['--state'] ?? defaultStateDir();
  const json = values['--json'] === true;
  const qrText = values['--qr-text'];
  const qrImage = values['--qr-image'];
  if ((qrText === undefined) === (qrImage === undefined))
    throw new UsageError('give exactly one of --qr-text TEXT or --qr-image FILE.png');
  const loaded = await loadState(dir);
  if (!loaded.ok) throw new UsageError(loaded.message);
  const { state } = loaded;
  const token = state.token;
  if (token === undefined) throw new UsageError('this phone has no approval yet: run `dck phone poll` first');
  let qrPayload = qrText;
  if (qrImage !== undefined) {
    const decoded = await decodeQrImageFile(qrImage);
    if (!decoded.ok) return reportFailure(decoded, json);
    qrPayload = decoded.value;
  }
  const otp = await readSecret('One-time password shown at the kiosk: ');
  try {
    if (!OTP_PATTERN.test(otp.toString('latin1')))
      return reportFailure(
        { ok: false, code: 'otp-malformed', message: 'the one-time password is 6 to 12 digits' },
        json,
      );
    const outcome = await withConnection(state, async (connection, signal) => {
      const result = await redeemEnrollment(connection, {
        token,
        signal,
        qrPayload: qrPayload ?? '',
        otp,
        ...(state.deviceId === undefined ? {} : { deviceId: state.deviceId }),
        // Supervised issuance: the person shows this fingerprint to the help-desk agent (stderr: --json stays clean).
        onAffirmationPending: (message) => {
          console.error(terminalSafe(message));
        },
        // A rate limit, a server error or a network blip: the phone asks again (the same certificate comes back if
        // the issuer issued before the answer was lost), and the person sees why.
        onRetrying: (notice) => {
          const doing = notice.waitingForAgent
            ? 'still waiting for the help-desk agent'
            : 'no answer to the redeem yet (if the certificate was issued, the issuer sends the same one again)';
          console.error(retryLine(doing, notice));
        },
      });
      if (!result.ok) return reportFailure(result, json);
      const keyPem = pkcs8ToPem(result.value.privateKeyPkcs8);
      result.value.privateKeyPkcs8.fill(0);
      const keyFile = await writePrivateFile(dir, 'derived-key.pem', keyPem);
      const certificateFile = await writePrivateFile(
        dir,
        'derived-certificate.pem',
        [result.value.certificatePem, ...result.value.chainPem].map((pem) => pem.trim()).join('\n') + '\n',
      );
      const { summary: certificate } = result.value;
      await saveState(dir, {
        ...state,
        credential: {
          certificateFile,
          keyFile,
          serialNumberHex: certificate.serialNumberHex,
          notAfter: certificate.notAfter,
        },
      });
      output(json, { certificate, certificateFile, keyFile, repeatedDelivery: result.value.repeatedDelivery }, [
        result.value.repeatedDelivery
          ? "Derived PIV Authentication certificate installed (the issuer's first answer was lost on the way; it sent the same certificate again)."
          : 'Derived PIV Authentication certificate installed.',
        `  subject      ${certificate.subject}`,
        `  issuer       ${certificate.issuer}`,
        `  serial       ${certificate.serialNumberHex}`,
        `  valid        ${certificate.notBefore} → ${certificate.notAfter}`,
        `  card UUID    ${certificate.uuid ?? '(none)'}`,
        `  policies     ${certificate.policies.join(', ')}`,
        `  SHA-256      ${certificate.sha256Fingerprint}`,
        `  files        ${certificateFile}, ${keyFile} (0600)`,
      ]);
      return 0;
    });
    if (outcome instanceof UsageError) throw outcome;
    return outcome;
  } finally {
    otp.fill(0);
  }
}

async function status(args: string[]): Promise<number> {
  const values = parse(args, {}, 'dck phone status');
  const json = values['--json'] === true;
  const dir = resolve(values['--state'] ?? defaultStateDir());
  const loaded = await loadState(dir);
  if (!loaded.ok) throw new UsageError(loaded.message);
  const { state } = loaded;
  const credential = state.credential;
  if (credential === undefined) throw new UsageError('this phone has no credential yet: run `dck phone redeem` first');
  const outcome = await withConnection(state, async (connection) => {
    const result = await fetchCredentialStatus(connection, credential.serialNumberHex);
    if (!result.ok) return reportFailure(result, json);
    const answer = result.value;
    const renewal = answer.renewalDue
      ? 'due: enroll this phone again at a kiosk with your card'
      : answer.renewalDueAt === null
        ? '(not told by this issuer)'
        : `from ${answer.renewalDueAt}`;
    output(json, { ...answer }, [
      `Derived credential ${answer.serialNumberHex}: ${answer.state}`,
      `  valid until  ${answer.notAfter}`,
      `  renewal      ${renewal}`,
    ]);
    return 0;
  });
  if (outcome instanceof UsageError) throw outcome;
  return outcome;
}

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'start':
        return await start(rest);
      case 'poll':
        return await poll(rest);
      case 'redeem':
        return await redeem(rest);
      case 'status':
        return await status(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(USAGE);
        return subcommand === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown subcommand "${subcommand.slice(0, 40)}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(terminalSafe(`dck phone: ${error.message}\n\n${USAGE}`, { multiline: true }));
      return 2;
    }
    if (error instanceof SecretInputError) {
      console.error(terminalSafe(`dck phone: one-time password: ${error.message}`));
      return 1;
    }
    throw error;
  }
}
