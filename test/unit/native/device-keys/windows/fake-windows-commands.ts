/**
 * FAKE Windows: replays what certreq, certutil and PowerShell do to CurrentUser's stores, so the Windows driver's
 * logic runs on Linux. It is not Windows: keys are Node key objects, and the failure transcripts are written in
 * the shape certreq prints (a sentence, then the HRESULT), not recorded from a machine (a Windows tester replaces
 * them with recordings: native/device-keys/README.md says how). What it checks that the real tools also check:
 * the INF's provider and container, that -accept finds a pending key for the certificate, unknown thumbprints.
 */
import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import type { ToolOutcome } from '../../../../../native/device-keys/windows/certreq-output.ts';
import type {
  WindowsCommands,
  WindowsProgram,
} from '../../../../../native/device-keys/windows/certreq-device-key-store.ts';

const crypto = webcrypto as unknown as Crypto;

interface StoredCertificate {
  readonly der: Buffer;
  readonly friendlyName: string;
}

/** Transcripts in certreq's shape: what a PC without a TPM and a wrong -accept print. */
export const TRANSCRIPTS = {
  noTpm:
    'Certificate Request Processor: The device that is required by this cryptographic provider is not ready for use. 0x80090030 (-2146893776 NTE_DEVICE_NOT_READY)\r\n',
  notFound:
    'Certificate Request Processor: Cannot find object or property. 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)\r\n',
  badKeyset:
    'CertUtil: -delkey command FAILED: 0x80090016 (-2146893802 NTE_BAD_KEYSET)\r\nCertUtil: Keyset does not exist\r\n',
  created: '\r\nCertReq: Request Created\r\n',
  keyListing: (containers: readonly string[], provider: string): string =>
    `${provider}:\r\n${containers.map((name) => `  ${name}\r\n  ECDSA_P256\r\n`).join('')}` +
    'CertUtil: -key command completed successfully.\r\n',
  tpmNotFound:
    'CertUtil: -key command FAILED: 0x8028400f (-2144845809 TBS_E_TPM_NOT_FOUND)\r\nCertUtil: A compatible Trusted Platform Module (TPM) Security Device cannot be found on this computer.\r\n',
  // schtasks prints no HRESULT: exit 0 is success, exit 1 a failure whose words are not read.
  taskCreated: (name: string): string => `SUCCESS: The scheduled task "${name}" has successfully been created.\r\n`,
  taskDeleted: (name: string): string => `SUCCESS: The scheduled task "${name}" was successfully deleted.\r\n`,
  taskListed: (name: string): string =>
    `\r\nFolder: \\\r\nTaskName                                 Next Run Time          Status\r\n` +
    `======================================== ====================== ===============\r\n` +
    `${name.padEnd(40)} 12/7/2026 9:00:00 AM   Ready\r\n`,
  taskMissing: 'ERROR: The system cannot find the file specified.\r\n',
  accessDenied: 'ERROR: Access is denied.\r\n',
};

const ok = (stdout = ''): ToolOutcome => ({ exitCode: 0, stdout, stderr: '' });
const fail = (stdout: string, hresult: number): ToolOutcome => ({ exitCode: hresult | 0, stdout, stderr: '' });
const thumbprint = (der: Buffer): string => createHash('sha1').update(der).digest('hex').toUpperCase();
const spki = (der: Buffer): Buffer => new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });

/** Changes one base64 character inside the public key: the request still parses, its signature no longer verifies. */
function corrupt(pem: string): string {
  const lines = pem.split('\n');
  const line = lines[2] ?? '';
  lines[2] = `${line.slice(0, 10)}${line[10] === 'A' ? 'B' : 'A'}${line.slice(11)}`;
  return lines.join('\n');
}

export class FakeWindowsCommands implements WindowsCommands {
  readonly stores: Record<'My' | 'REQUEST' | 'CA', StoredCertificate[]> = { My: [], REQUEST: [], CA: [] };
  readonly keys = new Map<string, string>(); // container → provider
  private readonly privateKeys = new Map<string, CryptoKey>(); // container → the key CNG would sign with
  readonly calls: Array<{ program: WindowsProgram; args: readonly string[] }> = [];
  /** Every certificate certreq -accept took, even one deleted again since (what the issuer issued to this PC). */
  readonly accepted: Buffer[] = [];
  /** Set to make the next certreq -new fail as on a PC whose TPM is missing or not ready. */
  tpmReady = true;
  /** Set to make certreq -new write a request that is not valid (a tool or disk fault). */
  corruptRequest = false;
  /** Set to make certutil -addstore fail. */
  addStoreFails = false;
  /** Task Scheduler's tasks of the signed-in user: name → the XML imported (decoded from UTF-16LE). */
  readonly tasks = new Map<string, string>();
  /** Set to make schtasks /Create fail (a policy forbidding user tasks). */
  taskCreateFails = false;

  async run(program: WindowsProgram, args: readonly string[]): Promise<ToolOutcome> {
    this.calls.push({ program, args });
    if (program === 'powershell' && (args.at(-1) ?? '').includes('ECDsaCng')) return this.sign(args.at(-1) ?? '');
    if (program === 'powershell') return this.list(args.at(-1) ?? '');
    if (program === 'certreq') return args[0] === '-new' ? this.newRequest(args) : this.accept(args);
    if (program === 'schtasks') return this.schtasks(args);
    return this.certutil(args);
  }

  private async newRequest(args: readonly string[]): Promise<ToolOutcome> {
    const [infPath, csrPath] = args.slice(-2);
    if (infPath === undefined || csrPath === undefined) return fail('usage', 0x80070057);
    const inf = readFileSync(infPath).subarray(2).toString('utf16le');
    const value = (key: string): string => new RegExp(`^${key} = "(.*)"\\r?$`, 'mu').exec(inf)?.[1] ?? '';
    if (value('ProviderName') === 'Microsoft Platform Crypto Provider' && !this.tpmReady)
      return fail(TRANSCRIPTS.noTpm, 0x80090030);
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      { name: value('Subject'), keys, signingAlgorithm },
      crypto,
    );
    const placeholder = await x509.X509CertificateGenerator.createSelfSigned(
      { name: value('Subject'), keys, signingAlgorithm, serialNumber: '01' },
      crypto,
    );
    this.keys.set(value('KeyContainer'), value('ProviderName'));
    this.privateKeys.set(value('KeyContainer'), keys.privateKey);
    this.stores.REQUEST.push({ der: Buffer.from(placeholder.rawData), friendlyName: value('FriendlyName') });
    const pem = csr.toString('pem').replace(/CERTIFICATE REQUEST/gu, 'NEW CERTIFICATE REQUEST');
    writeFileSync(csrPath, this.corruptRequest ? corrupt(pem) : pem);
    return ok(TRANSCRIPTS.created);
  }

  private accept(args: readonly string[]): ToolOutcome {
    const der = Buffer.from(new X509Certificate(readFileSync(args.at(-1) ?? '')).raw);
    const index = this.stores.REQUEST.findIndex((entry) => spki(entry.der).equals(spki(der)));
    const pending = this.stores.REQUEST[index];
    if (pending === undefined) return fail(TRANSCRIPTS.notFound, 0x80092004);
    this.stores.REQUEST.splice(index, 1);
    this.accepted.push(der);
    this.stores.My.push({ der, friendlyName: pending.friendlyName });
    return ok('Installed Certificate:\r\n');
  }

  private certutil(args: readonly string[]): ToolOutcome {
    if (args.includes('-addstore')) {
      if (this.addStoreFails)
        return fail('CertUtil: -addstore command FAILED: 0x80070005 (WIN32: 5 ERROR_ACCESS_DENIED)\r\n', 0x80070005);
      this.stores.CA.push({
        der: Buffer.from(new X509Certificate(readFileSync(args.at(-1) ?? '')).raw),
        friendlyName: '',
      });
      return ok();
    }
    if (args.at(-1) === '-key') {
      const provider = args[args.indexOf('-csp') + 1] ?? '';
      if (provider === 'Microsoft Platform Crypto Provider' && !this.tpmReady)
        return fail(TRANSCRIPTS.tpmNotFound, 0x8028400f);
      const containers = [...this.keys].filter(([, owner]) => owner === provider).map(([name]) => name);
      return ok(TRANSCRIPTS.keyListing(containers, provider));
    }
    if (args.includes('-delstore')) {
      const [store, print] = args.slice(-2) as ['My' | 'REQUEST', string];
      const before = this.stores[store].length;
      this.stores[store] = this.stores[store].filter((entry) => thumbprint(entry.der) !== print);
      return this.stores[store].length < before ? ok() : fail(TRANSCRIPTS.notFound, 0x80092004);
    }
    const container = args.at(-1) ?? '';
    this.privateKeys.delete(container);
    return this.keys.delete(container) ? ok() : fail(TRANSCRIPTS.badKeyset, 0x80090016);
  }

  /** schtasks /Create /XML file /TN name /F, /Query /TN name, /Delete /TN name /F, as the signed-in user. */
  private schtasks(args: readonly string[]): ToolOutcome {
    const name = args[args.indexOf('/TN') + 1] ?? '';
    const missing: ToolOutcome = { exitCode: 1, stdout: '', stderr: TRANSCRIPTS.taskMissing };
    if (args[0] === '/Query') return this.tasks.has(name) ? ok(TRANSCRIPTS.taskListed(name)) : missing;
    if (args[0] === '/Delete') return this.tasks.delete(name) ? ok(TRANSCRIPTS.taskDeleted(name)) : missing;
    if (this.taskCreateFails) return { exitCode: 1, stdout: '', stderr: TRANSCRIPTS.accessDenied };
    const file = readFileSync(args[args.indexOf('/XML') + 1] ?? '');
    // Task Scheduler takes the encoding the XML declares; ours declares UTF-16, so the file must be UTF-16LE + BOM.
    if (file[0] !== 0xff || file[1] !== 0xfe)
      return { exitCode: 1, stdout: '', stderr: 'ERROR: The task XML is malformed.\r\n' };
    if (this.tasks.has(name) && !args.includes('/F'))
      return { exitCode: 1, stdout: '', stderr: TRANSCRIPTS.accessDenied };
    this.tasks.set(name, file.subarray(2).toString('utf16le'));
    return ok(TRANSCRIPTS.taskCreated(name));
  }

  /** ECDsaCng.SignData over the script's base64 message with the container's key: r ‖ s, base64, as PowerShell prints it. */
  private async sign(script: string): Promise<ToolOutcome> {
    const key = this.privateKeys.get(/CngKey\]::Open\('([^']+)'/u.exec(script)?.[1] ?? '');
    const message = Buffer.from(/FromBase64String\('([^']*)'\)/u.exec(script)?.[1] ?? '', 'base64');
    if (key === undefined) return fail(TRANSCRIPTS.badKeyset, 0x80090016);
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, message);
    return ok(`${Buffer.from(signature).toString('base64')}\r\n`);
  }

  private list(script: string): ToolOutcome {
    const store = /CurrentUser\\(My|REQUEST)/u.exec(script)?.[1] === 'My' ? 'My' : 'REQUEST';
    const entries = this.stores[store].map((entry) => ({
      Thumbprint: thumbprint(entry.der),
      FriendlyName: entry.friendlyName,
      RawData: entry.der.toString('base64'),
    }));
    // ConvertTo-Json: nothing for none, a bare object for one, an array for more.
    return ok(entries.length === 0 ? '' : JSON.stringify(entries.length === 1 ? entries[0] : entries));
  }
}
