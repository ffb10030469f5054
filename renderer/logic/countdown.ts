// Countdown arithmetic for the enrollment expiry, the issuer retry and the "Still there?" warning.
// Pure functions of (deadline, now) so the screens only re-render on a clock tick.

/** Whole seconds left until `deadlineMs`, rounded up (so "0" means the deadline has passed); never negative. */
export function secondsLeftUntil(deadlineMs: number, nowMs: number): number {
  if (!Number.isFinite(deadlineMs) || !Number.isFinite(nowMs)) return 0;
  const remaining = Math.ceil((deadlineMs - nowMs) / 1000);
  return remaining > 0 ? remaining : 0;
}

/** Deadline from an ISO 8601 instant; an unparsable value counts as already expired (NaN → 0 seconds left). */
export function deadlineFromIso(iso: string): number {
  return Date.parse(iso);
}

/** Deadline for "N seconds from when the view arrived". Negative or non-finite inputs mean "now". */
export function deadlineFromSeconds(seconds: number, receivedAtMs: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) return receivedAtMs;
  return receivedAtMs + seconds * 1000;
}

/** Whole minutes and seconds, for "9 min 59 s" (read aloud and understood without knowing the m:ss notation). */
export function minutesAndSeconds(totalSeconds: number): { readonly minutes: number; readonly seconds: number } {
  const safe = Number.isFinite(totalSeconds) && totalSeconds > 0 ? Math.floor(totalSeconds) : 0;
  return { minutes: Math.floor(safe / 60), seconds: safe % 60 };
}
