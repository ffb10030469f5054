// What the person sees, derived from the session state alone (pure). The renderer renders exactly this.
// Nothing here may carry a PIN; the OTP and QR payload leave main only inside the 'enrollment' view.
import { assertNever } from '../../contracts/kiosk-api.ts';
import type { KioskView } from '../../contracts/kiosk-api.ts';
import type { ActivePhase, SessionState } from './state.ts';
import { outOfOrderReason } from './transition.ts';

export interface ViewSettings {
  readonly helpUrl: string;
}

export function viewOf(state: SessionState, settings: ViewSettings): KioskView {
  const phase = state.phase;
  if (phase.kind === 'welcome') {
    // A card left in comes first: its owner is probably still there and must not walk away without it.
    if (phase.cardInReader !== null)
      return { screen: 'take-card-out', virtualCardOffered: state.env.virtualCardAvailable };
    const reason = outOfOrderReason(state.env);
    if (reason !== null) return { screen: 'out-of-order', reason };
    return { screen: 'welcome', virtualCardOffered: state.env.virtualCardAvailable };
  }
  if (phase.kind === 'still-there') return { screen: 'still-there', secondsLeft: phase.secondsLeft };
  return activeView(phase, settings);
}

function activeView(phase: ActivePhase, settings: ViewSettings): KioskView {
  switch (phase.kind) {
    case 'reading-card':
      return { screen: 'reading-card' };
    case 'card-refused':
      return { screen: 'card-refused', reason: phase.reason };
    case 'pin':
      return {
        screen: 'pin',
        holderName: phase.holderName,
        triesLeft: phase.triesLeft,
        lastTryWarning: phase.triesLeft === 1,
        lastAttempt: phase.lastAttempt,
        busy: phase.step !== 'entering',
      };
    case 'pin-blocked':
      return { screen: 'pin-blocked', helpUrl: settings.helpUrl };
    case 'user-code':
      return { screen: 'user-code', holderName: phase.holderName, error: phase.error, busy: phase.checking !== null };
    case 'confirm-device':
      return {
        screen: 'confirm-device',
        holderName: phase.holderName,
        device: phase.shown.device,
        matchNumber: phase.shown.matchNumber,
        busy: phase.answering !== null,
      };
    case 'enrollment':
      return {
        screen: 'enrollment',
        qrPayload: phase.enrollment.qrPayload,
        otp: phase.enrollment.otp,
        expiresAt: phase.enrollment.expiresAt,
        helpUrl: settings.helpUrl,
        renewing: phase.renewing,
        phoneSeen: phase.phoneSeen,
        agentCheck: phase.agentCheck,
        stopped: phase.stopped,
      };
    case 'done':
      return { screen: 'done', holderName: phase.holderName, credentialExpiresAt: phase.credentialExpiresAt };
    case 'issuer-unreachable':
      return {
        screen: 'issuer-unreachable',
        busy: phase.busy,
        retryInSeconds:
          phase.countdown.kind === 'counting'
            ? phase.countdown.secondsLeft
            : phase.countdown.kind === 'retrying'
              ? 0
              : null,
      };
    default:
      return assertNever(phase, 'phase');
  }
}

/** Views are small plain objects; comparing their JSON is enough to skip pushing an unchanged screen. */
export function sameView(a: KioskView, b: KioskView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
