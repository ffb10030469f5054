// Where the agent console finds `window.agentConsole`: the browser host's /agent-host.js defines it before this
// bundle runs. The session token never reaches the page: every call goes to main, which holds it.
import type { ConsoleApi, ConsoleError, ConsoleRefusal } from '../../contracts/console-api.ts';

declare global {
  interface Window {
    agentConsole?: ConsoleApi;
  }
}

export function resolveConsoleApi(): ConsoleApi | null {
  return window.agentConsole ?? null;
}

/** The i18n key of the sentence that tells the agent why a call failed (never the raw code). */
export function refusalKey(error: ConsoleError): `console.refusal.${ConsoleRefusal | 'other'}` {
  return `console.refusal.${error.code === 'refused' && error.refusal !== undefined ? error.refusal : 'other'}`;
}
