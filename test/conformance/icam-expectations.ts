// ICAM cases whose verdict is wrong today, with the issue #9 defect that causes it. Each is asserted to STILL be
// wrong, so the fix that corrects it fails the suite until its entry is removed here (see pkits-expectations.ts).

export const ICAM_KNOWN_FAILURES: Readonly<Record<string, string>> = {};
