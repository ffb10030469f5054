/** Structured log lines: event names and non-personal fields only (never PINs, OTPs, names or tokens). */
export type KioskLog = (event: string, fields?: Readonly<Record<string, string | number | boolean>>) => void;

/** What may be logged of an unexpected error: its class name, never its message (it may quote data). */
export const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
