// The PIN as typed on the keypad. It lives in one fixed 8-byte array outside React state (state only knows how
// many digits there are, to draw the dots), is handed to `window.kiosk.submitPin` as a view of that array,
// and is zero-filled right after the call settles, when the screen changes and when the screen unmounts.
// Strings are never made from it: a string cannot be wiped and could linger in the JS heap.

export const PIN_MIN_DIGITS = 6;
export const PIN_MAX_DIGITS = 8;
const ASCII_ZERO = 0x30;

export class PinBuffer {
  readonly #bytes = new Uint8Array(PIN_MAX_DIGITS);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  get complete(): boolean {
    return this.#length >= PIN_MIN_DIGITS;
  }

  /** Adds one digit (0–9). Returns false when full or when the value is not a single digit. */
  pushDigit(digit: number): boolean {
    if (!Number.isInteger(digit) || digit < 0 || digit > 9) return false;
    if (this.#length >= PIN_MAX_DIGITS) return false;
    this.#bytes[this.#length] = ASCII_ZERO + digit;
    this.#length += 1;
    return true;
  }

  /** Removes the last digit and zeroes its byte. */
  popDigit(): void {
    if (this.#length === 0) return;
    this.#length -= 1;
    this.#bytes[this.#length] = 0;
  }

  /** Zero-fills all eight bytes, whatever the length was. */
  wipe(): void {
    this.#bytes.fill(0);
    this.#length = 0;
  }

  /**
   * Runs `use` with the typed digits (a view into the buffer, not a copy) and wipes the buffer when the
   * returned promise settles, whether it resolved or rejected. Refuses to run with fewer than 6 digits.
   */
  async submitAndWipe<T>(use: (pin: Uint8Array) => Promise<T>): Promise<T | null> {
    if (!this.complete) return null;
    try {
      return await use(this.#bytes.subarray(0, this.#length));
    } finally {
      this.wipe();
    }
  }

  /** For tests: whether every byte is zero. */
  isWiped(): boolean {
    return this.#length === 0 && this.#bytes.every((byte) => byte === 0);
  }
}

/** Maps a physical key (`KeyboardEvent.key`, including the numeric keypad) to a digit, or null. */
export function digitFromKey(key: string): number | null {
  if (key.length !== 1) return null;
  const code = key.charCodeAt(0) - ASCII_ZERO;
  return code >= 0 && code <= 9 ? code : null;
}
