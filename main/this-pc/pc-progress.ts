// The app's "Set up this PC" screens say which step runs ("Creating a key in this PC's security chip…"). The flow
// (this-pc.ts) does not report steps: it is the same for the CLI, which prints only the outcome. This wraps a ThisPc
// so each store and issuer call first names its step; the calls themselves pass through unchanged.
import type { PcWorkStep } from '../../contracts/pc-api.ts';
import type { DeviceKeyStore } from '../../native/device-keys/index.ts';
import type { PcIssuerPort, ThisPc } from './this-pc.ts';

export function reportingSteps<P extends Pick<ThisPc, 'store' | 'issuer'>>(
  pc: P,
  onStep: (step: PcWorkStep) => void,
): P {
  const { store, issuer } = pc;
  const steppedStore: DeviceKeyStore = {
    platform: store.platform,
    protection: store.protection,
    generateKey: (request) => {
      onStep('creating-key');
      return store.generateKey(request);
    },
    install: (keyId, certificateDer, chainDer) => {
      onStep('installing');
      return store.install(keyId, certificateDer, chainDer);
    },
    sign: (keyId, message) => store.sign(keyId, message),
    list: () => store.list(),
    delete: (keyId) => store.delete(keyId),
  };
  const steppedIssuer: PcIssuerPort = {
    challenge: () => issuer.challenge(),
    answerChallenge: (answer) => issuer.answerChallenge(answer),
    enrollPc: (sessionToken, request) => {
      onStep('issuing');
      return issuer.enrollPc(sessionToken, request);
    },
    revokePcCredential: (serialNumberHex, request) => {
      onStep('revoking');
      return issuer.revokePcCredential(serialNumberHex, request);
    },
  };
  return { ...pc, store: steppedStore, issuer: steppedIssuer };
}
