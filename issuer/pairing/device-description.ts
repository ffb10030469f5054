// What a phone says about itself at device authorization (platform, model, app name and version) is shown on a
// kiosk screen to the person about to approve it, and stored in the audit. It comes from anyone who can reach the
// issuer, so it is checked here before it is stored: trimmed, bounded (the contract's lengths), and made only of
// letters, marks, digits, punctuation, symbols and plain spaces. That refuses control characters (C0, C1), format
// characters (among them every bidi control: U+200E/F, U+202A–E, U+2066–9, which could reorder what the kiosk
// shows, and zero-width characters that hide text), line and paragraph separators, unusual spaces, private-use
// and unassigned code points, and lone surrogates.
import { DEVICE_DESCRIPTION_FIELDS } from '../../contracts/issuer-api.ts';
import type { DeviceAuthorizationRequest } from '../../contracts/issuer-api.ts';
import type { ReportedDevice } from '../storage/issuer-storage.ts';

type ReportedField = keyof typeof DEVICE_DESCRIPTION_FIELDS;

export type DeviceDescriptionCheck =
  | { readonly ok: true; readonly device: ReportedDevice }
  | { readonly ok: false; readonly field: ReportedField; readonly message: string };

/** Whole string: visible characters and U+0020 only (the `v` flag rejects lone surrogates too). */
const SHOWABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;

export const NOT_REPORTED: ReportedDevice = { platform: null, model: null, appName: null, appVersion: null };

function checkOne(field: ReportedField, value: string | undefined): { ok: true; value: string | null } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, value: null };
  const { maxLength } = DEVICE_DESCRIPTION_FIELDS[field];
  const trimmed = value.trim();
  if (trimmed === '') return { ok: false, message: `${field} is empty.` };
  if (trimmed.length > maxLength) return { ok: false, message: `${field} is longer than ${maxLength} characters.` };
  if (!SHOWABLE.test(trimmed)) {
    return { ok: false, message: `${field} holds a character a kiosk screen cannot show safely (control, format or bidi character).` };
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
