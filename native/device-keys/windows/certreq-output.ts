/**
 * Reading what certreq, certutil and PowerShell tell us. certreq's and certutil's sentences are translated with
 * Windows' display language, so nothing here reads words: success is the exit code, failure is the HRESULT every
 * language prints as `0x8…`, and listings come from PowerShell as JSON. Pure functions (golden-tested with
 * recorded-shape output in test/unit/native/device-keys/windows/).
 */
import type { DeviceKeyErrorCode } from '../errors.ts';

/** HRESULTs whose meaning the person at the PC can act on; every other one is `store-failed` with its number. */
const HRESULT_CODES: Readonly<Record<string, DeviceKeyErrorCode>> = {
  '0x8028400F': 'no-platform-store', // TBS_E_TPM_NOT_FOUND
  '0x80284008': 'no-platform-store', // TBS_E_SERVICE_NOT_RUNNING
  '0x80090030': 'no-platform-store', // NTE_DEVICE_NOT_READY (TPM present but not ready / not owned)
  '0x8009001D': 'no-platform-store', // NTE_PROVIDER_DLL_FAIL
  '0x80090029': 'no-platform-store', // NTE_NOT_SUPPORTED (e.g. a TPM 1.2 asked for ECDSA P-256)
  '0x80280800': 'store-busy', // TPM_E_RETRY
  '0x80280921': 'store-busy', // TPM_20_E_LOCKOUT (dictionary-attack lockout)
  '0x80090016': 'no-such-key', // NTE_BAD_KEYSET
  '0x8009000D': 'no-such-key', // NTE_NO_KEY
  '0x80092004': 'certificate-key-mismatch', // CRYPT_E_NOT_FOUND: -accept found no pending request for this key
  '0x8009310B': 'bad-certificate', // CRYPT_E_ASN1_BADTAG (PEM/DER decode)
};

export interface ToolOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type ToolVerdict =
  { readonly ok: true } | { readonly ok: false; readonly code: DeviceKeyErrorCode; readonly hresult: string | null };

/** certreq -new / -accept and certutil -delstore / -delkey: exit 0 is success; otherwise the first HRESULT names it. */
export function toolVerdict(outcome: ToolOutcome): ToolVerdict {
  if (outcome.exitCode === 0) return { ok: true };
  const hresult = firstHresult(`${outcome.stdout}\n${outcome.stderr}`) ?? exitCodeHresult(outcome.exitCode);
  return { ok: false, code: (hresult === null ? undefined : HRESULT_CODES[hresult]) ?? 'store-failed', hresult };
}

function firstHresult(text: string): string | null {
  const match = /\b0x(8[0-9a-fA-F]{7})\b/u.exec(text);
  return match?.[1] === undefined ? null : `0x${match[1].toUpperCase()}`;
}

/** certreq exits with the HRESULT itself (a negative 32-bit number as seen by a Node child process on Windows). */
function exitCodeHresult(exitCode: number): string | null {
  const unsigned = exitCode >>> 0;
  return unsigned >= 0x80000000 ? `0x${unsigned.toString(16).toUpperCase().padStart(8, '0')}` : null;
}

export interface StoreListing {
  readonly thumbprint: string;
  readonly friendlyName: string;
  readonly certificateDer: Uint8Array;
}

/**
 * PowerShell's `ConvertTo-Json` of `{ Thumbprint, FriendlyName, RawData = [Convert]::ToBase64String(...) }` per
 * certificate: an array, a single object (ConvertTo-Json unwraps one-element arrays) or nothing (empty store).
 * Anything else is refused: this text comes from outside the app.
 */
export function parseStoreListing(json: string): StoreListing[] {
  const trimmed = json.trim();
  if (trimmed === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    void error; // the parser's message quotes the text; the code says what matters
    throw new SyntaxError('certificate store listing is not JSON');
  }
  return (Array.isArray(parsed) ? parsed : [parsed]).map(storeEntry);
}

function storeEntry(value: unknown): StoreListing {
  if (typeof value !== 'object' || value === null) throw new SyntaxError('certificate store entry is not an object');
  const { Thumbprint: thumbprint, FriendlyName: friendlyName, RawData: rawData } = value as Record<string, unknown>;
  if (typeof thumbprint !== 'string' || !/^[0-9A-F]{40}$/u.test(thumbprint))
    throw new SyntaxError('certificate store entry has no SHA-1 thumbprint');
  if (typeof friendlyName !== 'string' || friendlyName.length > 256)
    throw new SyntaxError('certificate store entry has no friendly name');
  if (typeof rawData !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/u.test(rawData) || rawData.length > 64 * 1024) {
    throw new SyntaxError('certificate store entry has no base64 certificate');
  }
  return { thumbprint, friendlyName, certificateDer: new Uint8Array(Buffer.from(rawData, 'base64')) };
}

/** The store's key id from a FriendlyName `certreqInf` wrote ("Example Agency (0123456789abcdef)"); null for others. */
export function keyIdOfFriendlyName(friendlyName: string): string | null {
  return /\(([0-9a-f]{16})\)$/u.exec(friendlyName)?.[1] ?? null;
}
