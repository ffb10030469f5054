// A deployed kiosk: its one configuration file → the issuer it names, trusted through the PEM it names, and the
// system's PC/SC readers it selects. A missing or bad configuration gives the out-of-order service (the log
// names the file and the field); it never falls back to the demo.
import { createSmartCardService } from '../../native/pcsc/index.ts';
import type { KioskCardPort } from '../card/card-port.ts';
import { createPcscCardPort } from '../card/pcsc-card-port.ts';
import { KioskConfigError, loadKioskConfigFile, readerFilter, tenantTexts } from '../config/kiosk-config.ts';
import type { KioskConfigFile } from '../config/kiosk-config.ts';
import type { KioskLog } from '../session/controller.ts';
import { KioskIdentityError, loadOrCreateKioskIdentity } from '../identity/kiosk-identity.ts';
import type { KioskIdentity } from '../identity/kiosk-identity.ts';
import { outOfOrderService } from './out-of-order.ts';
import { DEFAULT_KIOSK_CONFIG, kioskServiceOf, startKioskRuntime } from './kiosk-runtime.ts';
import type { KioskService } from './kiosk-runtime.ts';

export interface DeployedKioskOptions {
  readonly configFile: string;
  readonly log: KioskLog;
  /** The card port over the system's readers; tests give their own. */
  readonly cardPort?: (useReader: (reader: string) => boolean) => KioskCardPort;
}

const systemReaders =
  (log: KioskLog) =>
  (useReader: (reader: string) => boolean): KioskCardPort =>
    createPcscCardPort(createSmartCardService(), { useReader, log });

export interface DeployedKiosk extends KioskService {
  /** The configuration's update settings; null when the kiosk is out of order. */
  readonly updates: KioskConfigFile['updates'] | null;
}

export async function startDeployedKiosk(options: DeployedKioskOptions): Promise<DeployedKiosk> {
  let loaded;
  try {
    loaded = loadKioskConfigFile(options.configFile);
  } catch (error: unknown) {
    if (!(error instanceof KioskConfigError)) throw error;
    options.log('kiosk-config-invalid', { file: options.configFile, field: error.field, detail: error.message });
    return { ...outOfOrderService('configuration'), updates: null };
  }
  const { config, issuerTrustPem } = loaded;
  options.log('kiosk-config-loaded', { file: options.configFile, kiosk: config.kiosk.name, issuer: config.issuer.url });
  let identity: KioskIdentity | undefined;
  if (config.kiosk.keyFile !== null) {
    try {
      identity = loadOrCreateKioskIdentity(config.kiosk.keyFile, config.kiosk.name);
    } catch (error: unknown) {
      if (!(error instanceof KioskIdentityError)) throw error;
      options.log('kiosk-identity-invalid', { file: config.kiosk.keyFile, detail: error.message });
      return { ...outOfOrderService('configuration'), updates: null };
    }
    // What the administrator compares before `dck admin kiosks add` (the public key file is beside the key).
    options.log('kiosk-identity', { kiosk: identity.name, fingerprint: identity.fingerprint });
  }
  const [defaultLanguage = DEFAULT_KIOSK_CONFIG.defaultLanguage] = config.languages;
  const runtime = await startKioskRuntime({
    issuerUrl: config.issuer.url,
    issuerTrustPem,
    kioskName: config.kiosk.name,
    ...(identity === undefined ? {} : { identity }),
    card: (options.cardPort ?? systemReaders(options.log))(readerFilter(config)),
    kiosk: { languages: config.languages, defaultLanguage, helpUrl: config.helpUrl, ...tenantTexts(config) },
    session: { idleSeconds: config.idleSeconds },
    log: options.log,
  });
  return kioskServiceOf(runtime, { updates: config.updates });
}
