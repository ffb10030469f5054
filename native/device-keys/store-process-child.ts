// The child process of store-process.ts: it alone loads the PKCS#11 module (tpm2-pkcs11, SoftHSM2) and makes the
// calls, one request at a time, so a TPM that stops answering blocks this process and never the app's. It ends when
// its parent goes (the IPC channel closes) or kills it.
import { initializeDeviceToken } from './device-token.ts';
import { DeviceKeyError } from './errors.ts';
import { Pkcs11DeviceKeyStore } from './pkcs11-device-key-store.ts';
import type { StoreProcessReply, StoreProcessRequest, StoreProcessValue } from './store-process-protocol.ts';

async function perform(
  store: Pkcs11DeviceKeyStore,
  request: StoreProcessRequest,
  pin: Buffer,
): Promise<StoreProcessValue> {
  const { call, token } = request;
  switch (call.op) {
    case 'generateKey':
      return store.generateKeyWithId(call.keyId, call.request);
    case 'install':
      return store.install(call.keyId, call.certificateDer, call.chainDer).then(() => null);
    case 'sign':
      return store.sign(call.keyId, call.message);
    case 'list':
      return store.list();
    case 'delete':
      return store.delete(call.keyId).then(() => null);
    case 'initializeToken': {
      const soPin = Buffer.from(call.soPin);
      call.soPin.fill(0);
      // initializeDeviceToken wipes both copies it is given.
      return initializeDeviceToken(token.modulePath, token.tokenLabel, soPin, Buffer.from(pin), call.resume);
    }
  }
}

async function answer(request: StoreProcessRequest): Promise<StoreProcessReply> {
  const pin = Buffer.from(request.pin);
  request.pin.fill(0);
  const store = new Pkcs11DeviceKeyStore({ ...request.token, tokenPin: () => Buffer.from(pin) });
  try {
    return { id: request.id, ok: true, value: await perform(store, request, pin) };
  } catch (error) {
    if (error instanceof DeviceKeyError) return { id: request.id, ok: false, code: error.code, detail: error.detail };
    // A defect, not the token's answer: its name only (a message could carry bytes we were sent).
    return {
      id: request.id,
      ok: false,
      code: 'store-failed',
      detail: `store process: ${error instanceof Error ? error.name : typeof error}`,
    };
  } finally {
    pin.fill(0);
  }
}

let queue = Promise.resolve();
process.on('message', (request: StoreProcessRequest) => {
  queue = queue.then(async () => {
    process.send?.(await answer(request));
  });
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true } satisfies StoreProcessReply);
