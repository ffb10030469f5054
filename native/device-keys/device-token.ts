/**
 * Preparing the PC's own token once: an uninitialised tpm2-pkcs11 (or SoftHSM2) slot gets a label, a security
 * officer PIN and a user PIN, through PKCS#11 itself. Why not `tpm2_ptool addtoken`: without a TPM resource manager
 * (no tpm2-abrmd on a plain Debian PC, and none with swtpm in tests) it runs out of TPM object memory; the module's
 * C_InitToken does the same job within one connection (measured: 0.24 s on swtpm).
 *
 * Both PINs are wiped before this returns. pkcs11js takes PINs as JS strings (see native/pkcs11/piv-token.ts).
 */
import { call, Pkcs11Failure } from '../pkcs11/errors.ts';
import { closeModule, openModule, pkcs11js } from '../pkcs11/piv-token.ts';
import type { Module } from '../pkcs11/piv-token.ts';
import { DeviceKeyError } from './errors.ts';
import { deviceKeyErrorOf } from './pkcs11-device-key-store.ts';
import { checkStoreText } from './store-text.ts';

/**
 * `initialised`: set up now; `resumed`: a set-up cut between C_InitToken and C_InitPIN (a killed process, a TPM silent
 * there) finished now with the same PINs; `already-initialised`: a token with this label and its user PIN exists.
 */
export type TokenInitialisation = 'initialised' | 'resumed' | 'already-initialised';

/**
 * FAULT HOOK, for tests only: with `DCK_FAULT_HOOK=token-setup-after-C_InitToken` in its environment the process
 * doing the set-up ends (SIGKILL, as a power cut or a killed `dck pc` would) between C_InitToken and C_InitPIN,
 * the one point no error path can reach (test/integration/cli/pc-tpm-leftovers.test.ts).
 */
export const FAULT_HOOK_ENV = 'DCK_FAULT_HOOK';
export const TOKEN_SETUP_CUT = 'token-setup-after-C_InitToken';

/**
 * Initialises the first uninitialised slot of the module as `label`. With `resume` (the caller kept this set-up's
 * PINs from an earlier run that did not finish it), a token with `label` is that set-up cut off: the security
 * officer logs in with `soPin` and sets the user PIN now. The token's flags cannot tell: tpm2-pkcs11 reports
 * CKF_USER_PIN_INITIALIZED right after C_InitToken (measured on swtpm), so the SO PIN is the proof. A refused SO PIN
 * is `store-pin-incorrect`: not this set-up's token. Without `resume` an existing token is never logged in to (a
 * wrong PIN counts against the TPM's dictionary-attack lockout).
 */
export function initializeDeviceToken(
  modulePath: string,
  label: string,
  soPin: Buffer,
  userPin: Buffer,
  resume = false,
): TokenInitialisation {
  try {
    checkStoreText(label);
    const module = openModule(modulePath);
    try {
      const slots = call('C_GetSlotList', () => module.C_GetSlotList(true));
      const infos = slots.map((slot) => ({ slot, info: call('C_GetTokenInfo', () => module.C_GetTokenInfo(slot)) }));
      const existing = infos.find(
        ({ info }) => (info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0 && info.label.trim() === label,
      );
      if (existing !== undefined) {
        if (!resume) return 'already-initialised';
        setUserPin(module, existing.slot, soPin, userPin);
        return 'resumed';
      }
      const free = infos.find(({ info }) => (info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0);
      if (free === undefined) throw new DeviceKeyError('store-full', 'C_GetSlotList: no uninitialised slot');
      // The label field is 32 bytes, blank-padded (PKCS#11 §3.2 CK_TOKEN_INFO).
      call('C_InitToken', () => module.C_InitToken(free.slot, soPin.toString('utf8'), label.padEnd(32, ' ')));
      if (process.env[FAULT_HOOK_ENV] === TOKEN_SETUP_CUT) process.kill(process.pid, 'SIGKILL');
      // Some modules (SoftHSM2) move the new token to another slot id; find it by label again.
      const slot = call('C_GetSlotList', () => module.C_GetSlotList(true)).find(
        (candidate) => call('C_GetTokenInfo', () => module.C_GetTokenInfo(candidate)).label.trim() === label,
      );
      if (slot === undefined)
        throw new DeviceKeyError('store-failed', 'C_InitToken: token not found after initialisation');
      setUserPin(module, slot, soPin, userPin);
      return 'initialised';
    } finally {
      closeModule(module);
    }
  } catch (error) {
    if (!(error instanceof Pkcs11Failure)) throw error;
    throw deviceKeyErrorOf(error);
  } finally {
    soPin.fill(0);
    userPin.fill(0);
  }
}

/** The security officer logs in and sets the user PIN: the set-up's second half. */
function setUserPin(module: Module, slot: Buffer, soPin: Buffer, userPin: Buffer): void {
  const session = call('C_OpenSession', () =>
    module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
  );
  call('C_Login', () => module.C_Login(session, pkcs11js.CKU_SO, soPin.toString('utf8')));
  call('C_InitPIN', () => module.C_InitPIN(session, userPin.toString('utf8')));
}
