// What a phone says about itself at device authorization (platform, model, app name and version) is shown on a
// kiosk screen to the person about to approve it, and stored in the audit. It comes from anyone who can reach the
// issuer, so it is checked here before it is stored: trimmed, bounded (the contract's lengths), and showable
// (contracts/showable-text.ts: no control, format or bidi characters).
import { DEVICE_DESCRIPTION_FIELDS } from '../../contracts/issuer-api.ts';
import type { DeviceAuthorizationRequest } from '../../contracts/issuer-api.ts';
import { SHOWABLE_TEXT } from '../../contracts/showable-text.ts';
import type { ReportedDevice } from '../storage/issuer-storage.ts';

type ReportedField = keyof typeof DEVICE_DESCRIPTION_FIELDS;

export type DeviceDescriptionCheck =
  | { readonly ok: true; readonly device: ReportedDevice }
  | { readonly ok: false; readonly field: ReportedField; readonly message: string };

export const NOT_REPORTED: ReportedDevice = { platform: null, model: null, appName: null, appVersion: null };

function checkOne(
  field: ReportedField,
  value: string | undefined,
): { ok: true; value: string | null } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, value: null };
  const { maxLength } = DEVICE_DESCRIPTION_FIELDS[field];
  const trimmed = value.trim();
  if (trimmed === '') return { ok: false, message: `${field} is empty.` };
  if (trimmed.length > maxLength) return { ok: false, message: `${field} is longer than ${maxLength} characters.` };
  if (!SHOWABLE_TEXT.test(trimmed)) {
    return {
      ok: false,
      message: `${field} holds a character a kiosk screen cannot show safely (control, format or bidi character).`,
    };
  }
  return { ok: true, value: trimmed.normalize('NFC') };
}

/** The reported device, or the first field that cannot be shown (named, for the phone's developer). */
export function checkDeviceDescription(request: DeviceAuthorizationRequest): DeviceDescriptionCheck {
  const device: Record<keyof ReportedDevice, string | null> = { ...NOT_REPORTED };
  for (const field of Object.keys(DEVICE_DESCRIPTION_FIELDS) as ReportedField[]) {
    const checked = checkOne(field, request[field]);
    if (!checked.ok) return { ok: false, field, message: checked.message };
    device[DEVICE_DESCRIPTION_FIELDS[field].key] = checked.value;
  }
  return { ok: true, device };
}
