// What every screen component receives from the app shell.
import type { KioskApi, KioskConfig, KioskError, KioskScreen, KioskView, Result } from '../../contracts/kiosk-api.ts';

export type ViewOf<S extends KioskScreen> = Extract<KioskView, { readonly screen: S }>;

export interface ScreenProps<S extends KioskScreen> {
  readonly view: ViewOf<S>;
  readonly kiosk: KioskApi;
  /** The kiosk's static settings (help desk, phone app, names). */
  readonly config: KioskConfig;
  /** When this view arrived (ms since epoch): the origin for "N seconds" countdowns. */
  readonly receivedAt: number;
  /** Shows a short "that did not work" notice; the code goes to the console for developers. */
  readonly onCallFailed: (error: KioskError) => void;
}

/** Awaits a kiosk call and routes an error result to `onCallFailed`. Returns whether it succeeded. */
export async function settle(
  call: Promise<Result<void, KioskError>>,
  onCallFailed: (error: KioskError) => void,
): Promise<boolean> {
  const result = await call;
  if (!result.ok) onCallFailed(result.error);
  return result.ok;
}
