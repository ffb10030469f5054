// What the live region (and speech) says when a "Set up this PC" screen appears: its title.
import type { PcView } from '../../contracts/pc-api.ts';

export function announcementKey(view: PcView): string {
  switch (view.screen) {
    case 'status':
      return view.installed === null ? 'pc.status.notSetUpTitle' : 'pc.status.setUpTitle';
    case 'insert-card':
      return 'pc.insertCard.title';
    case 'reading-card':
      return 'reading.title';
    case 'pin':
      return view.lastAttempt === 'wrong' ? 'pin.wrongUnknownTries' : 'pin.title';
    case 'working':
      return `pc.working.${view.step}`;
    case 'done':
      return `pc.done.${view.outcome}`;
    case 'failed':
      return `pc.fault.${view.fault}`;
  }
}
