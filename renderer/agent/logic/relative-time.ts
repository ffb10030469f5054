// "3 minutes ago" in the agent's language (Intl.RelativeTimeFormat), for a last-seen time. Pure: the screen passes
// its clock tick, so the text moves on by itself.

const STEPS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];

/** The largest whole unit of the time since `isoThen` ("just now" under a minute is the seconds, in words). */
export function timeAgo(isoThen: string, nowMs: number, language: string | undefined): string {
  const format = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
  const seconds = Math.max(0, Math.round((nowMs - Date.parse(isoThen)) / 1000));
  for (const [unit, size] of STEPS) if (seconds >= size) return format.format(-Math.floor(seconds / size), unit);
  return format.format(-seconds, 'second');
}
