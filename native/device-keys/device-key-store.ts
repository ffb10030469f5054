/**
 * One interface for a derived credential kept by the PC itself ("Set up this PC", issue 14): a key generated inside
 * the platform's key store that can never leave it, a PKCS#10 request signed by that key, then the issued
 * certificate and its chain installed where the operating system, browsers and VPN clients look.
 *
 * One driver per platform: PKCS#11 (tpm2-pkcs11 on a TPM, SoftHSM2 where there is none) on Linux, certreq with the
 * Microsoft Platform Crypto Provider on Windows. Callers never learn which; they learn the key's protection, which
 * the issuer records so tenant policy can refuse software keys.
 */

/** Where the key lives: inside a TPM, or in software on the PC's disk (still non-exportable through the store's API). */
export type DeviceKeyProtection = 'tpm' | 'software';
export type DevicePlatform = 'linux' | 'windows';

export interface DeviceKeyRequest {
  /** Subject CN of the request; the issuer sets the certificate's real subject from the card. */
  readonly commonName: string;
  /** Label shown in the store (PKCS#11 CKA_LABEL, Windows FriendlyName): names the tenant. */
  readonly label: string;
}

export interface GeneratedDeviceKey {
  /** The store's handle for the key: lower-case hex, also the certificate's CKA_ID on PKCS#11. */
  readonly keyId: string;
  /** PKCS#10 CertificationRequest, DER, signed by the new key (its proof of possession). */
  readonly csrDer: Uint8Array;
  readonly publicKeySpkiDer: Uint8Array;
  readonly protection: DeviceKeyProtection;
}

export interface DeviceCredential {
  readonly keyId: string;
  readonly label: string;
  readonly protection: DeviceKeyProtection;
  /** The installed certificate, or null for a key whose certificate never arrived (enrollment cleans those up). */
  readonly certificateDer: Uint8Array | null;
}

export interface DeviceKeyStore {
  readonly platform: DevicePlatform;
  readonly protection: DeviceKeyProtection;
  /**
   * Generates a non-exportable EC P-256 signing key and a CSR signed by it. If the CSR cannot be made, the key is
   * deleted before this rejects. @throws DeviceKeyError
   */
  generateKey(request: DeviceKeyRequest): Promise<GeneratedDeviceKey>;
  /**
   * Installs the certificate bound to its key, and the chain (issuing CA first) beside it. Refuses a certificate
   * whose public key is not the key's (`certificate-key-mismatch`). @throws DeviceKeyError
   */
  install(keyId: string, certificateDer: Uint8Array, chainDer: readonly Uint8Array[]): Promise<void>;
  /**
   * ECDSA signature (SHA-256, r ‖ s as IEEE P1363) of `message` by the key: how the PC proves to the issuer that it
   * holds the credential (contracts/pc-revocation-message.ts). @throws DeviceKeyError
   */
  sign(keyId: string, message: Uint8Array): Promise<Uint8Array>;
  /** Every key this store made (by its label prefix or provider), with its certificate if installed. */
  list(): Promise<DeviceCredential[]>;
  /** Deletes the key and its certificate; `no-such-key` when neither exists. @throws DeviceKeyError */
  delete(keyId: string): Promise<void>;
}
