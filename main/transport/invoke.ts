// The one entry both transports (Electron IPC, browser-host WebSocket) call with an untrusted call name and
// argument list. It checks the name against the channel table, validates the arguments with the contract's
// validators and calls the handler. Transports stay free of logic: they only move bytes and check the caller.
import { err, isKioskInvokeName, validateInvokeArgs } from '../../contracts/kiosk-api.ts';
import type { KioskError, KioskHandlers, KioskInvokeName, Result } from '../../contracts/kiosk-api.ts';
import { isConsoleInvokeName, validateConsoleArgs } from '../../contracts/console-api.ts';
import type { ConsoleError, ConsoleHandlers, ConsoleInvokeName } from '../../contracts/console-api.ts';
import { isPcInvokeName, validatePcArgs } from '../../contracts/pc-api.ts';
import type { PcCallError, PcHandlers, PcInvokeName } from '../../contracts/pc-api.ts';

export type InvokeOutcome = Result<unknown, KioskError>;

const MAX_ARGS = 4;

export async function invokeKiosk(
  handlers: KioskHandlers,
  name: unknown,
  args: unknown,
  onInternalError: (call: KioskInvokeName, error: unknown) => void,
): Promise<InvokeOutcome> {
  if (!isKioskInvokeName(name)) return err({ code: 'invalid-argument', detail: 'unknown call' });
  if (!Array.isArray(args) || args.length > MAX_ARGS)
    return err({ code: 'invalid-argument', detail: 'arguments must be a short list' });
  const validated = validateInvokeArgs(name, args as unknown[]);
  if (!validated.ok) return validated;
  const handler = handlers[name] as (...callArgs: readonly unknown[]) => Promise<InvokeOutcome>;
  try {
    return await handler(...validated.value);
  } catch (error: unknown) {
    // A handler broke its contract (they return results). The page learns only that something failed.
    onInternalError(name, error);
    return err({ code: 'internal' });
  }
}

/** The agent console's twin of invokeKiosk: its own channel table and validators (contracts/console-api.ts). */
export async function invokeConsole(
  handlers: ConsoleHandlers,
  name: unknown,
  args: unknown,
  onInternalError: (call: ConsoleInvokeName, error: unknown) => void,
): Promise<Result<unknown, ConsoleError>> {
  if (!isConsoleInvokeName(name)) return err({ code: 'invalid-argument', detail: 'unknown call' });
  if (!Array.isArray(args) || args.length > MAX_ARGS)
    return err({ code: 'invalid-argument', detail: 'arguments must be a short list' });
  const validated = validateConsoleArgs(name, args as unknown[]);
  if (!validated.ok) return validated;
  const handler = handlers[name] as (...callArgs: readonly unknown[]) => Promise<Result<unknown, ConsoleError>>;
  try {
    return await handler(...validated.value);
  } catch (error: unknown) {
    onInternalError(name, error);
    return err({ code: 'internal' });
  }
}

/** "Set up this PC"'s twin of invokeKiosk: its own channel table and validators (contracts/pc-api.ts). */
export async function invokePc(
  handlers: PcHandlers,
  name: unknown,
  args: unknown,
  onInternalError: (call: PcInvokeName, error: unknown) => void,
): Promise<Result<unknown, PcCallError>> {
  if (!isPcInvokeName(name)) return err({ code: 'invalid-argument', detail: 'unknown call' });
  if (!Array.isArray(args) || args.length > MAX_ARGS)
    return err({ code: 'invalid-argument', detail: 'arguments must be a short list' });
  const validated = validatePcArgs(name, args as unknown[]);
  if (!validated.ok) return validated;
  const handler = handlers[name] as (...callArgs: readonly unknown[]) => Promise<Result<unknown, PcCallError>>;
  try {
    return await handler(...validated.value);
  } catch (error: unknown) {
    onInternalError(name, error);
    return err({ code: 'internal' });
  }
}
