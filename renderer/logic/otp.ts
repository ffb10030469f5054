// How the one-time password is shown under the QR code: digits in groups of four ("1234 5678"), which is
// easier to read across the room and to type on a phone than one long run.

const GROUP_LENGTH = 4;

/** Groups of four from the left; a short last group stays at the end ("123456789" → "1234 5678 9"). */
export function groupOtpDigits(otp: string): string[] {
  const groups: string[] = [];
  for (let start = 0; start < otp.length; start += GROUP_LENGTH) groups.push(otp.slice(start, start + GROUP_LENGTH));
  return groups;
}

export function formatOtpForDisplay(otp: string): string {
  return groupOtpDigits(otp).join(' ');
}

/**
 * What a screen reader reads: one digit at a time ("1 2 3 4, 5 6 7 8"), because "12345678" is otherwise read
 * as a large number.
 */
export function otpForScreenReader(otp: string): string {
  return groupOtpDigits(otp)
    .map((group) => group.split('').join(' '))
    .join(', ');
}
