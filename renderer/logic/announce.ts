// What the screen-reader live region says when a new view arrives. Only translation keys, counts and the
// number-matching number (shown on the kiosk and the phone alike, not a secret): never a name, code or password,
// so the region cannot leak anything of the person when the session ends.
import type { KioskView } from '../../contracts/kiosk-api.ts';

export interface Announcement {
  /** Translation keys, read one after another. */
  readonly keys: readonly string[];
  readonly count?: number;
  /** The two digits the phone also shows (confirm-device), spaced so speech reads them one by one. */
  readonly matchNumber?: string;
}

export function announcementFor(view: KioskView): Announcement {
  switch (view.screen) {
    case 'pin':
      if (view.lastAttempt === 'signed-out') return { keys: ['pin.signedOut'] };
      if (view.lastAttempt === 'wrong') {
        return view.triesLeft === null
          ? { keys: ['pin.wrongUnknownTries'] }
          : { keys: ['pin.wrong'], count: view.triesLeft };
      }
      return view.lastTryWarning ? { keys: ['announce.pin', 'pin.lastTryWarning'] } : { keys: ['announce.pin'] };
    case 'user-code':
      return view.error === 'none' ? { keys: ['announce.user-code'] } : { keys: [`userCode.error.${view.error}`] };
    case 'confirm-device':
      return { keys: ['announce.confirm-device'], matchNumber: [...view.matchNumber].join(' ') };
    case 'card-refused':
      return { keys: ['announce.card-refused', `refused.reason.${view.reason}`] };
    case 'out-of-order':
      return { keys: ['outOfOrder.title', `outOfOrder.reason.${view.reason}`, 'outOfOrder.whatToDo'] };
    case 'enrollment':
      if (view.stopped !== null) return { keys: [`enrollment.stopped.${view.stopped}`] };
      if (view.agentCheck?.affirmed === true) return { keys: ['enrollment.agentCheck.affirmed'] };
      if (view.agentCheck) return { keys: ['enrollment.agentCheck.title', 'enrollment.agentCheck.compare'] };
      if (view.phoneSeen) return { keys: ['enrollment.phoneSeen'] };
      return { keys: ['announce.enrollment'] };
    case 'issuer-unreachable':
      return { keys: view.busy ? ['unreachable.busyTitle'] : ['announce.issuer-unreachable'] };
    case 'welcome':
    case 'reading-card':
    case 'pin-blocked':
    case 'take-card-out':
    case 'done':
    case 'still-there':
      return { keys: [`announce.${view.screen}`] };
  }
}

/** Whether two announcements say the same thing (then the live region is left alone). */
export function sameAnnouncement(a: Announcement | null, b: Announcement): boolean {
  return a !== null && a.keys.join('|') === b.keys.join('|') && a.count === b.count && a.matchNumber === b.matchNumber;
}
