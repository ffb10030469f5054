// What the kiosk serves when it cannot serve anyone (e.g. its configuration file is missing or wrong): the
// out-of-order view, and handlers that refuse every call but getConfig. No issuer, no card, no demo.
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { KioskConfig, KioskHandlers, KioskView, OutOfOrderReason } from '../../contracts/kiosk-api.ts';
import { DEFAULT_KIOSK_CONFIG } from './kiosk-runtime.ts';
import type { KioskService } from './kiosk-runtime.ts';

export function outOfOrderService(reason: OutOfOrderReason, kiosk: KioskConfig = DEFAULT_KIOSK_CONFIG): KioskService {
  const view: KioskView = { screen: 'out-of-order', reason };
  const refuse = () => Promise.resolve(err({ code: 'not-now' as const, detail: 'the kiosk is out of order' }));
  const handlers: KioskHandlers = {
    submitPin: (pin) => {
      pin.fill(0); // the handlers own the PIN they are given, even when they refuse it
      return refuse();
    },
    submitUserCode: refuse,
    confirmDevice: refuse,
    denyDevice: refuse,
    renewEnrollment: refuse,
    cancel: refuse,
    stillHere: refuse,
    reportActivity: refuse,
    useVirtualCard: () => Promise.resolve(err({ code: 'virtual-card-unavailable' as const })),
    getConfig: () => Promise.resolve(ok(kiosk)),
  };
  return {
    handlers,
    view,
    onView: (listener) => {
      queueMicrotask(() => listener(view));
      return () => undefined;
    },
    stop: () => Promise.resolve(),
  };
}
