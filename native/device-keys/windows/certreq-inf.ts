/**
 * The request file (`certreq -new <inf> <csr>`) that makes Windows generate the key: in the TPM through the
 * Microsoft Platform Crypto Provider, or in software through the Software Key Storage Provider when the tenant
 * allows software keys. Pure: the same input gives the same bytes (golden-tested).
 *
 * INF values are quoted strings on one line; store-text.ts already refuses quotes, control characters and line
 * breaks, so no value can end its line or open a new section ([Extensions], [RequestAttributes]).
 */
import type { DeviceKeyProtection } from '../device-key-store.ts';
import { checkStoreText } from '../store-text.ts';

/** The CNG key storage providers, named once (certutil -delkey needs the same name). */
export const WINDOWS_KEY_PROVIDERS: Readonly<Record<DeviceKeyProtection, string>> = {
  tpm: 'Microsoft Platform Crypto Provider',
  software: 'Microsoft Software Key Storage Provider',
};

/** Key container names carry the store's key id, so list() and delete() find the key again. */
export const keyContainerName = (keyId: string): string => `dck-${keyId}`;

export interface CertreqInfRequest {
  readonly keyId: string;
  readonly commonName: string;
  /** FriendlyName in the certificate store: names the tenant. */
  readonly label: string;
  readonly protection: DeviceKeyProtection;
}

export function certreqInf(request: CertreqInfRequest): string {
  checkStoreText(request.commonName);
  checkStoreText(request.label);
  if (!/^[0-9a-f]{16}$/.test(request.keyId)) throw new RangeError('key id must be 16 lower-case hex digits');
  const lines = [
    '[Version]',
    'Signature = "$Windows NT$"',
    '',
    '[NewRequest]',
    `Subject = "CN=${request.commonName}"`,
    // The key belongs to the signed-in user (CurrentUser\My), not the machine.
    'MachineKeySet = FALSE',
    'KeyAlgorithm = ECDSA_P256',
    'KeyLength = 256',
    'HashAlgorithm = SHA256',
    // Digital signature only: a PIV Authentication key signs (SP 800-157 §3.2).
    'KeyUsage = 0x80',
    'KeyUsageProperty = 2', // NCRYPT_ALLOW_SIGNING_FLAG
    'Exportable = FALSE',
    `ProviderName = "${WINDOWS_KEY_PROVIDERS[request.protection]}"`,
    `KeyContainer = "${keyContainerName(request.keyId)}"`,
    `FriendlyName = "${request.label} (${request.keyId})"`,
    'RequestType = PKCS10',
    'SMIME = FALSE',
    'Silent = TRUE',
    '',
  ];
  // certreq reads ANSI or UTF-16 with a BOM; the caller writes this as UTF-16LE with a BOM so names keep accents.
  return lines.join('\r\n');
}
