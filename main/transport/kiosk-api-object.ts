// Builds the page-side `window.kiosk` object (and the agent console's `window.agentConsole`) from one `invoke`
// function. Both hosts' page halves use it (the Electron preload over ipcRenderer, the browser host's page scripts
// over its WebSocket), so the API's shape and the view subscription rules live in one place and the transports only
// move bytes.
import { CONSOLE_INVOKE_NAMES } from '../../contracts/console-api.ts';
import type { ConsoleApi, ConsoleError, ConsoleInvokeName, ConsoleView } from '../../contracts/console-api.ts';
import { PC_INVOKE_NAMES } from '../../contracts/pc-api.ts';
import type { PcApi, PcCallError, PcInvokeName, PcView } from '../../contracts/pc-api.ts';
import { KIOSK_INVOKE_NAMES } from '../../contracts/kiosk-api.ts';
import type { KioskApi, KioskError, KioskInvokeName, KioskView, Result } from '../../contracts/kiosk-api.ts';

export type KioskInvoke = (name: KioskInvokeName, args: readonly unknown[]) => Promise<Result<unknown, KioskError>>;

export interface HostApiObject<Api, View> {
  /** What the page sees as `window.kiosk` / `window.agentConsole`. */
  readonly api: Api;
  /** The transport calls this for every view pushed by main. */
  readonly publishView: (view: View) => void;
}
export type KioskApiObject = HostApiObject<KioskApi, KioskView>;

function createHostApiObject<Api, View, Name extends string, Failure extends { readonly code: string }>(
  names: readonly Name[],
  invoke: (name: Name, args: readonly unknown[]) => Promise<Result<unknown, Failure>>,
): HostApiObject<Api, View> {
  const listeners = new Set<(view: View) => void>();
  let latestView: View | null = null;
  const calls: Partial<Record<Name, (...args: unknown[]) => Promise<Result<unknown, Failure>>>> = {};
  for (const name of names) calls[name] = (...args: unknown[]) => invoke(name, args);
  const api = {
    ...calls,
    onView(listener: (view: View) => void): () => void {
      listeners.add(listener);
      // A late subscriber (the renderer mounting after the first push) still gets the current screen.
      const current = latestView;
      if (current !== null)
        queueMicrotask(() => {
          if (listeners.has(listener)) listener(current);
        });
      return () => {
        listeners.delete(listener);
      };
    },
  } as Api;
  return {
    api,
    publishView: (view: View): void => {
      latestView = view;
      for (const listener of listeners) listener(view);
    },
  };
}

export function createKioskApiObject(invoke: KioskInvoke): KioskApiObject {
  return createHostApiObject<KioskApi, KioskView, KioskInvokeName, KioskError>(KIOSK_INVOKE_NAMES, invoke);
}

export function createConsoleApiObject(
  invoke: (name: ConsoleInvokeName, args: readonly unknown[]) => Promise<Result<unknown, ConsoleError>>,
): HostApiObject<ConsoleApi, ConsoleView> {
  return createHostApiObject<ConsoleApi, ConsoleView, ConsoleInvokeName, ConsoleError>(CONSOLE_INVOKE_NAMES, invoke);
}

export function createPcApiObject(
  invoke: (name: PcInvokeName, args: readonly unknown[]) => Promise<Result<unknown, PcCallError>>,
): HostApiObject<PcApi, PcView> {
  return createHostApiObject<PcApi, PcView, PcInvokeName, PcCallError>(PC_INVOKE_NAMES, invoke);
}
