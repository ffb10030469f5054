// A date as people read it, in the shown language's long form ("6 December 2027"): the kiosk's done screen and the
// "Set up this PC" screens (expiry, renewal due). Null when unknown or unreadable.
export function longDate(iso: string | null, language: string): string | null {
  if (iso === null) return null;
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return null;
  return new Intl.DateTimeFormat(language, { dateStyle: 'long' }).format(when);
}
