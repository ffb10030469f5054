// Which step of the journey each screen belongs to (null: not part of a session, no progress shown).
import type { KioskScreen } from '../../contracts/kiosk-api.ts';

export const PROGRESS_STEPS = ['card', 'code', 'scan', 'done'] as const;
export type ProgressStep = (typeof PROGRESS_STEPS)[number];

export function progressStepFor(screen: KioskScreen): ProgressStep | null {
  switch (screen) {
    case 'reading-card':
    case 'pin':
      return 'card';
    case 'user-code':
    case 'confirm-device':
      return 'code';
    case 'enrollment':
      return 'scan';
    case 'done':
      return 'done';
    case 'welcome':
    case 'out-of-order':
    case 'take-card-out':
    case 'card-refused':
    case 'pin-blocked':
    case 'issuer-unreachable':
    case 'still-there':
      return null;
  }
}
