// The binding's device: platform and model only from a report the enrollment's own sign-in showed and the person
// confirmed; otherwise "unconfirmed" with neither, whatever the redeem body says.
import { describe, expect, it } from 'vitest';
import { boundDevice } from '../../../../issuer/lifecycle/binding.ts';

const reported = { platform: 'Android 15', model: 'Pixel 9', appName: 'Derived Credentials', appVersion: '2.4.1' };
const enrollment = { kioskSessionId: 'session-a' };

describe('boundDevice', () => {
  it('takes platform and model from the report the enrollment’s sign-in showed, the id from the redeem body', () => {
    const authorization = { device: reported, pairing: { sessionId: 'session-a', shownAt: 1 } };
    expect(boundDevice({ id: 'phone-1' }, authorization, enrollment)).toEqual({
      id: 'phone-1',
      platform: 'Android 15',
      model: 'Pixel 9',
      source: 'confirmed-at-kiosk',
    });
  });

  it.each([
    ['never shown at a kiosk', null],
    ['last shown by another sign-in', { sessionId: 'session-b', shownAt: 1 }],
  ])('is unconfirmed, with no platform or model, when the report was %s', (_case, pairing) => {
    expect(boundDevice(undefined, { device: reported, pairing }, enrollment)).toEqual({
      id: null,
      platform: null,
      model: null,
      source: 'unconfirmed',
    });
  });
});
