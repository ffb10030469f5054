// What a label or name handed to a key store may contain: it ends up in a PKCS#11 label, a certreq INF line and a
// certificate request subject, so printable characters only, no quote (INF strings are quoted), bounded length.
import { DeviceKeyError } from './errors.ts';
import { MAX_COMMON_NAME_LENGTH } from './certification-request.ts';

// Letters, digits, marks, spaces and the punctuation a tenant or person name uses; no quotes, no control characters.
const STORE_TEXT = /^[\p{L}\p{M}\p{N} .,'()&@_+-]+$/u;

export function checkStoreText(text: string): void {
  if (text.length === 0 || text.length > MAX_COMMON_NAME_LENGTH || !STORE_TEXT.test(text) || text.trim() !== text) {
    throw new DeviceKeyError('bad-request', 'name or label');
  }
}
