import { describe, expect, it } from 'vitest';
import type { KioskView } from '../../../contracts/kiosk-api.ts';
import { announcementFor, sameAnnouncement } from '../../../renderer/logic/announce.ts';

describe('screen-reader announcements', () => {
  const enrollment: KioskView = {
    screen: 'enrollment',
    qrPayload: 'https://issuer.example/e/secret-enrollment-id',
    otp: '48213907',
    expiresAt: '2026-11-23T10:05:00Z',
    helpUrl: 'https://help.example',
    renewing: false,
    phoneSeen: false,
    agentCheck: null,
    stopped: null,
  };

  it('never carry the OTP, QR payload or holder name (only translation keys and a count)', () => {
    const views: KioskView[] = [
      enrollment,
      {
        screen: 'pin',
        holderName: 'Alex Secretname',
        triesLeft: 2,
        lastTryWarning: false,
        lastAttempt: 'wrong',
        busy: false,
      },
      { screen: 'done', holderName: 'Alex Secretname', credentialExpiresAt: null },
    ];
    for (const view of views) {
      const text = JSON.stringify(announcementFor(view));
      expect(text).not.toContain('48213907');
      expect(text).not.toContain('secret-enrollment-id');
      expect(text).not.toContain('Secretname');
    }
  });

  it('announce a wrong PIN with the tries left, and the last-try warning', () => {
    expect(
      announcementFor({
        screen: 'pin',
        holderName: '',
        triesLeft: 2,
        lastTryWarning: false,
        lastAttempt: 'wrong',
        busy: false,
      }),
    ).toEqual({ keys: ['pin.wrong'], count: 2 });
    expect(
      announcementFor({
        screen: 'pin',
        holderName: '',
        triesLeft: 1,
        lastTryWarning: true,
        lastAttempt: 'none',
        busy: false,
      }).keys,
    ).toContain('pin.lastTryWarning');
  });

  it('announce user-code errors instead of the screen title', () => {
    expect(announcementFor({ screen: 'user-code', holderName: '', error: 'expired-code', busy: false }).keys).toEqual([
      'userCode.error.expired-code',
    ]);
  });

  it("announce the phone to confirm with its number, digit by digit, and never the phone's own words or the holder", () => {
    const view: KioskView = {
      screen: 'confirm-device',
      holderName: 'Alex Secretname',
      matchNumber: '07',
      busy: false,
      device: { platform: 'Android 15', model: 'Pixel 9', appName: 'Derived Credentials', appVersion: '2.4.1' },
    };
    const announcement = announcementFor(view);
    expect(announcement).toEqual({ keys: ['announce.confirm-device'], matchNumber: '0 7' });
    expect(JSON.stringify(announcement)).not.toMatch(/Secretname|Pixel|Derived/);
    // Another number is news (a retry with another sign-in); the busy flag is not.
    expect(sameAnnouncement(announcement, announcementFor({ ...view, matchNumber: '42' }))).toBe(false);
    expect(sameAnnouncement(announcement, announcementFor({ ...view, busy: true }))).toBe(true);
  });

  it('stay quiet when only a busy flag changes', () => {
    const idle = announcementFor({ screen: 'user-code', holderName: '', error: 'none', busy: false });
    const busy = announcementFor({ screen: 'user-code', holderName: '', error: 'none', busy: true });
    expect(sameAnnouncement(idle, busy)).toBe(true);
    expect(sameAnnouncement(null, busy)).toBe(false);
    const wrong2 = announcementFor({
      screen: 'pin',
      holderName: '',
      triesLeft: 2,
      lastTryWarning: false,
      lastAttempt: 'wrong',
      busy: false,
    });
    const wrong1 = announcementFor({
      screen: 'pin',
      holderName: '',
      triesLeft: 1,
      lastTryWarning: false,
      lastAttempt: 'wrong',
      busy: false,
    });
    expect(sameAnnouncement(wrong2, wrong1)).toBe(false);
  });
});
