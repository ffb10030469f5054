// The messages between a PKCS#11 device key store and the child process that makes its calls (store-process.ts):
// plain data, sent with Node's "advanced" (structured clone) IPC serialization, so byte arrays stay byte arrays.
import type {
  DeviceCredential,
  DeviceKeyProtection,
  DeviceKeyRequest,
  GeneratedDeviceKey,
} from './device-key-store.ts';
import type { TokenInitialisation } from './device-token.ts';
import type { DeviceKeyErrorCode } from './errors.ts';

/** Which module and token the child opens (the token PIN travels with each request, and is wiped after it). */
export interface StoreProcessToken {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly protection: DeviceKeyProtection;
}

export type StoreProcessCall =
  | { readonly op: 'generateKey'; readonly keyId: string; readonly request: DeviceKeyRequest }
  | {
      readonly op: 'install';
      readonly keyId: string;
      readonly certificateDer: Uint8Array;
      readonly chainDer: readonly Uint8Array[];
    }
  | { readonly op: 'sign'; readonly keyId: string; readonly message: Uint8Array }
  | { readonly op: 'list' }
  | { readonly op: 'delete'; readonly keyId: string }
  /**
   * First set-up (device-token.ts): the request's PIN becomes the user PIN; both PINs are wiped after it. `resume`:
   * the PINs are an unfinished earlier set-up's.
   */
  | { readonly op: 'initializeToken'; readonly soPin: Uint8Array; readonly resume: boolean };

export interface StoreProcessRequest {
  readonly id: number;
  readonly token: StoreProcessToken;
  readonly pin: Uint8Array;
  readonly call: StoreProcessCall;
}

export type StoreProcessValue = GeneratedDeviceKey | Uint8Array | DeviceCredential[] | TokenInitialisation | null;

/** The child's first message says it has loaded (its start is not the TPM's time); then one reply per request. */
export type StoreProcessReply =
  | { readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly value: StoreProcessValue }
  | { readonly id: number; readonly ok: false; readonly code: DeviceKeyErrorCode; readonly detail: string };
