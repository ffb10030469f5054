/**
 * The Windows driver: certreq makes the key in the TPM (or the software provider) and the PKCS#10 request in one
 * step; `certreq -accept -user` installs the issued certificate bound to that key in CurrentUser\My; intermediate
 * CA certificates go to CurrentUser\CA with certutil; listing reads CurrentUser\My and CurrentUser\REQUEST (where
 * certreq parks a key whose certificate has not arrived) through PowerShell as JSON.
 *
 * Programs run through `WindowsCommands`: on Windows a thin child_process runner; in the tests on Linux a FAKE that
 * replays certreq's recorded behaviour (test/unit/native/device-keys/windows/fake-windows-commands.ts). Files go to
 * a private temporary directory that is removed after every step.
 */
import 'reflect-metadata';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type {
  DeviceCredential,
  DeviceKeyProtection,
  DeviceKeyRequest,
  DeviceKeyStore,
  GeneratedDeviceKey,
} from '../device-key-store.ts';
import { DeviceKeyError } from '../errors.ts';
import { certreqInf, keyContainerName, WINDOWS_KEY_PROVIDERS } from './certreq-inf.ts';
import { keyIdOfFriendlyName, parseStoreListing, toolVerdict } from './certreq-output.ts';
import type { StoreListing, ToolOutcome } from './certreq-output.ts';

// schtasks: the renewal reminder (main/this-pc/windows-renewal-task.ts) runs through the same runner.
export type WindowsProgram = 'certreq' | 'certutil' | 'powershell' | 'schtasks';

export interface WindowsCommands {
  /** Runs the program with these arguments (no shell) and resolves with what it printed, whatever its exit code. */
  run(program: WindowsProgram, args: readonly string[]): Promise<ToolOutcome>;
}

const listScript = (store: 'My' | 'REQUEST'): string =>
  `Get-ChildItem Cert:\\CurrentUser\\${store} | ForEach-Object { [pscustomobject]@{ Thumbprint = $_.Thumbprint; ` +
  'FriendlyName = $_.FriendlyName; RawData = [Convert]::ToBase64String($_.RawData) } } | ConvertTo-Json -Compress';

/**
 * Opens the key by its container name in its provider and signs the message (SHA-256). Every value is ours: the
 * container name is `dck-<16 hex>`, the provider one of two constants, the message base64; no user text is spliced.
 */
export const signScript = (container: string, provider: string, message: Uint8Array): string =>
  `$k = [System.Security.Cryptography.CngKey]::Open('${container}', [System.Security.Cryptography.CngProvider]::new('${provider}')); ` +
  `$e = [System.Security.Cryptography.ECDsaCng]::new($k); ` +
  `[Convert]::ToBase64String($e.SignData([Convert]::FromBase64String('${Buffer.from(message).toString('base64')}'), ` +
  `[System.Security.Cryptography.HashAlgorithmName]::SHA256))`;

export class CertreqDeviceKeyStore implements DeviceKeyStore {
  readonly platform = 'windows';

  constructor(
    readonly protection: DeviceKeyProtection,
    private readonly commands: WindowsCommands,
  ) {}

  /**
   * Whether the provider answers at all (for `tpm`: whether Windows has a usable TPM), asked before the card so a PC
   * without one can fall back before anything is made: `certutil -user -csp <provider> -key` lists the user's keys
   * in it, or fails with the HRESULT that says why. False for `no-platform-store`. @throws DeviceKeyError otherwise
   */
  async available(): Promise<boolean> {
    const verdict = toolVerdict(
      await this.commands.run('certutil', ['-user', '-csp', WINDOWS_KEY_PROVIDERS[this.protection], '-key']),
    );
    if (verdict.ok) return true;
    if (verdict.code === 'no-platform-store') return false;
    throw new DeviceKeyError(verdict.code, `certutil -key: ${verdict.hresult ?? 'failed'}`);
  }

  async generateKey(request: DeviceKeyRequest): Promise<GeneratedDeviceKey> {
    const keyId = randomBytes(8).toString('hex');
    const inf = certreqInf({
      keyId,
      commonName: request.commonName,
      label: request.label,
      protection: this.protection,
    });
    return this.inTemporaryDirectory(async (directory) => {
      const [infPath, csrPath] = [join(directory, 'request.inf'), join(directory, 'request.csr')];
      // UTF-16LE with a BOM: certreq reads it as Unicode, so accented tenant names survive.
      await writeFile(infPath, Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(inf, 'utf16le')]));
      this.check(await this.commands.run('certreq', ['-new', '-q', '-user', infPath, csrPath]), 'certreq -new');
      try {
        const csr = new x509.Pkcs10CertificateRequest(await readFile(csrPath, 'utf8'));
        // The request must be the new key's own: a signature that verifies, a P-256 key.
        if (!(await csr.verify()) || csr.publicKey.algorithm.name !== 'ECDSA')
          throw new DeviceKeyError('store-failed', 'certreq -new: request does not verify');
        return {
          keyId,
          csrDer: new Uint8Array(csr.rawData),
          publicKeySpkiDer: new Uint8Array(csr.publicKey.rawData),
          protection: this.protection,
        };
      } catch (error) {
        // A key without a usable request goes before the caller hears of it.
        await this.delete(keyId).catch((cleanup: unknown) => {
          throw new DeviceKeyError(
            'store-failed',
            `key ${keyId} left behind: ${String((cleanup as { code?: unknown }).code)}`,
          );
        });
        throw error instanceof DeviceKeyError
          ? error
          : new DeviceKeyError('store-failed', 'certreq -new: unreadable request');
      }
    });
  }

  async install(keyId: string, certificateDer: Uint8Array, chainDer: readonly Uint8Array[]): Promise<void> {
    const certificates = [certificateDer, ...chainDer].map(toPem);
    await this.inTemporaryDirectory(async (directory) => {
      const [leafPath, ...chainPaths] = certificates.map((_, index) => join(directory, `certificate-${index}.cer`));
      if (leafPath === undefined) throw new DeviceKeyError('bad-certificate', 'install');
      await Promise.all(certificates.map((pem, index) => writeFile(join(directory, `certificate-${index}.cer`), pem)));
      const pending = (await this.listStore('REQUEST')).find(
        (entry) => keyIdOfFriendlyName(entry.friendlyName) === keyId,
      );
      if (pending === undefined) throw new DeviceKeyError('no-such-key', 'certreq -accept');
      // certreq -accept binds a certificate to whichever pending key matches it; we mean this one key.
      if (!samePublicKey(pending.certificateDer, certificateDer))
        throw new DeviceKeyError('certificate-key-mismatch', 'certreq -accept');
      this.check(await this.commands.run('certreq', ['-accept', '-q', '-user', leafPath]), 'certreq -accept');
      const installed: string[] = [thumbprint(certificateDer)];
      try {
        for (const path of chainPaths)
          this.check(
            await this.commands.run('certutil', ['-user', '-f', '-addstore', 'CA', path]),
            'certutil -addstore',
          );
      } catch (error) {
        // Nothing half-installed: the certificate goes again (its key stays, for the caller to retry or delete).
        for (const print of installed) await this.commands.run('certutil', ['-user', '-delstore', 'My', print]);
        throw error;
      }
    });
  }

  async list(): Promise<DeviceCredential[]> {
    const credentials = new Map<string, DeviceCredential>();
    for (const [store, installed] of [
      ['REQUEST', false],
      ['My', true],
    ] as const) {
      for (const entry of await this.listStore(store)) {
        const keyId = keyIdOfFriendlyName(entry.friendlyName);
        if (keyId === null) continue; // somebody else's certificate
        credentials.set(keyId, {
          keyId,
          label: entry.friendlyName.replace(/ \([0-9a-f]{16}\)$/u, ''),
          protection: this.protection,
          certificateDer: installed ? entry.certificateDer : null,
        });
      }
    }
    return [...credentials.values()];
  }

  async delete(keyId: string): Promise<void> {
    const entries = [
      ...(await this.listStore('My')).map((entry) => ['My', entry] as const),
      ...(await this.listStore('REQUEST')).map((entry) => ['REQUEST', entry] as const),
    ].filter(([, entry]) => keyIdOfFriendlyName(entry.friendlyName) === keyId);
    for (const [store, entry] of entries)
      this.check(
        await this.commands.run('certutil', ['-user', '-delstore', store, entry.thumbprint]),
        'certutil -delstore',
      );
    const key = toolVerdict(
      await this.commands.run('certutil', [
        '-user',
        '-csp',
        WINDOWS_KEY_PROVIDERS[this.protection],
        '-delkey',
        keyContainerName(keyId),
      ]),
    );
    if (!key.ok && (key.code !== 'no-such-key' || entries.length === 0))
      throw new DeviceKeyError(key.code, `certutil -delkey: ${key.hresult ?? 'failed'}`);
  }

  /** CNG signs with the key in its provider (the TPM's for `tpm`); ECDsaCng.SignData answers r ‖ s (IEEE P1363). */
  async sign(keyId: string, message: Uint8Array): Promise<Uint8Array> {
    // The id lands in a PowerShell string: only ids this store makes (16 hex digits) get that far.
    if (!/^[0-9a-f]{16}$/.test(keyId)) throw new DeviceKeyError('no-such-key', 'key id');
    const outcome = await this.commands.run('powershell', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      signScript(keyContainerName(keyId), WINDOWS_KEY_PROVIDERS[this.protection], message),
    ]);
    this.check(outcome, 'powershell ECDsaCng.SignData');
    const signature = Buffer.from(outcome.stdout.trim(), 'base64');
    // P-256: 32-byte r and s. Anything else is not this key's answer.
    if (signature.length !== 64) throw new DeviceKeyError('store-failed', 'ECDsaCng.SignData: not a P-256 signature');
    return new Uint8Array(signature);
  }

  private async listStore(store: 'My' | 'REQUEST'): Promise<StoreListing[]> {
    const outcome = await this.commands.run('powershell', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      listScript(store),
    ]);
    this.check(outcome, 'powershell Get-ChildItem');
    try {
      return parseStoreListing(outcome.stdout);
    } catch (error) {
      void error; // the listing came from outside; the code and step say what failed
      throw new DeviceKeyError('store-failed', `listing CurrentUser\\${store}`);
    }
  }

  private check(outcome: ToolOutcome, step: string): void {
    const verdict = toolVerdict(outcome);
    if (!verdict.ok)
      throw new DeviceKeyError(verdict.code, `${step}: ${verdict.hresult ?? `exit ${outcome.exitCode}`}`);
  }

  private async inTemporaryDirectory<T>(use: (directory: string) => Promise<T>): Promise<T> {
    const directory = await mkdtemp(join(tmpdir(), 'dck-certreq-'));
    try {
      return await use(directory);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }
}

function toPem(der: Uint8Array): string {
  try {
    return new X509Certificate(Buffer.from(der)).toString();
  } catch (error) {
    void error; // the parser's text describes bytes we were sent
    throw new DeviceKeyError('bad-certificate', 'install');
  }
}

/** certreq parks a pending key as a self-signed placeholder certificate carrying the key's public half. */
function samePublicKey(placeholderDer: Uint8Array, certificateDer: Uint8Array): boolean {
  const spki = (der: Uint8Array): Buffer =>
    new X509Certificate(Buffer.from(der)).publicKey.export({ type: 'spki', format: 'der' });
  return spki(placeholderDer).equals(spki(certificateDer));
}

/** Windows names a certificate by the SHA-1 of its DER (the store's "thumbprint"), upper-case hex. */
function thumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}
