// What `dck kiosk --browser` and `dck agent --browser` do once their browser host is up: open Chromium at the
// single-use launch URL (or print it for --no-open), stay until Ctrl-C or SIGTERM, then close Chromium and stop.
// One home, so both commands say the same things and stop the same way.
import { CHROMIUM, openChromium } from '../main/browser-host/open-chromium.ts';
import type { RunningBrowserHost } from '../main/browser-host/browser-host.ts';

export interface BrowserSession {
  /** What the page is, as the first word of its lines: `kiosk`, `agent console`. */
  readonly label: string;
  readonly host: RunningBrowserHost;
  /** false for --no-open: print the launch URL instead. */
  readonly open: boolean;
  /** Printed after the URL line (e.g. how to play the phone). */
  readonly notes?: readonly string[];
  stop(): Promise<void>;
}

/** Resolves with exit code 0 once a signal has stopped the session. */
export async function runBrowserSession(session: BrowserSession): Promise<0> {
  const browser = session.open ? openChromium(session.host.launchUrl) : null;
  if (browser === null) {
    if (session.open)
      console.log(`Chromium not found at ${CHROMIUM}; open the launch URL in a Chromium-based browser.`);
    console.log(`${session.label}: ${session.host.launchUrl} (works once)`);
  } else {
    browser.process.on('error', (error) => console.error(`could not start Chromium: ${error.message}`));
    console.log(`${session.label}: ${session.host.origin} (opened in Chromium)`);
  }
  for (const note of session.notes ?? []) console.log(note);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping…');
  browser?.close();
  await session.stop();
  return 0;
}

/** One log line per event: `<label>: <event> key=value …` (event names and outcomes only, never a secret). */
export const eventLogLine =
  (label: string) =>
  (event: string, fields?: Readonly<Record<string, string | number | boolean>>): void => {
    const details =
      fields === undefined
        ? ''
        : ` ${Object.entries(fields)
            .map(([key, value]) => `${key}=${String(value)}`)
            .join(' ')}`;
    console.log(`${label}: ${event}${details}`);
  };
