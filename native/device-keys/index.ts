// Public surface of the device key stores ("Set up this PC").
export type {
  DeviceCredential,
  DeviceKeyProtection,
  DeviceKeyRequest,
  DeviceKeyStore,
  DevicePlatform,
  GeneratedDeviceKey,
} from './device-key-store.ts';
export { DEVICE_KEY_ERROR_CODES, DeviceKeyError } from './errors.ts';
export type { DeviceKeyErrorCode } from './errors.ts';
export { Pkcs11DeviceKeyStore } from './pkcs11-device-key-store.ts';
export type { Pkcs11DeviceKeyStoreOptions } from './pkcs11-device-key-store.ts';
export { DEFAULT_STORE_DEADLINE_MS, Pkcs11StoreProcess } from './store-process.ts';
export type { StoreProcessOptions } from './store-process.ts';
export { initializeDeviceToken } from './device-token.ts';
export {
  ensureNssDatabase,
  listNssCertificates,
  listNssModules,
  NSS_MODULE_NAME,
  registerModuleInNss,
  unregisterModuleFromNss,
} from './nss-registration.ts';
export { TPM2_PKCS11_MODULE, SOFTHSM2_MODULE } from './modules.ts';
export { CertreqDeviceKeyStore } from './windows/certreq-device-key-store.ts';
export type { WindowsCommands, WindowsProgram } from './windows/certreq-device-key-store.ts';
export { ChildProcessWindowsCommands } from './windows/child-process-commands.ts';
export { certreqInf, WINDOWS_KEY_PROVIDERS } from './windows/certreq-inf.ts';
