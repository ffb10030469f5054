// Where "Set up this PC" finds `window.thisPc`: the browser host's /pc-host.js defines it before this bundle runs.
// The card PIN goes to main once; the token PIN, the issuer session and the keys stay there.
import type { PcApi } from '../../contracts/pc-api.ts';

declare global {
  interface Window {
    thisPc?: PcApi;
  }
}

export function resolvePcApi(): PcApi | null {
  return window.thisPc ?? null;
}
