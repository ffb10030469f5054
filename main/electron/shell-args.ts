// The Electron shell's command line: which app it shows (the kiosk, `--agent`, `--pc`) and the options' values.
// Electron's process.argv holds the binary (and in development the bundle) before the options, and Chromium may add
// switches of its own, so options are looked up by name and anything else is left alone. Pure: tested under Node.
import { PC_APP_OPTIONS, pcAppSettings } from '../this-pc/pc-app-settings.ts';
import type { PcAppOptionValues, PcAppSettingsRead } from '../this-pc/pc-app-settings.ts';

/** kiosk: the enrollment kiosk (default); agent: the help-desk console; pc: "Set up this PC". */
export type ShellApp = 'kiosk' | 'agent' | 'pc';

export type ShellAppChoice =
  { readonly ok: true; readonly app: ShellApp } | { readonly ok: false; readonly problem: string };

export function shellApp(argv: readonly string[]): ShellAppChoice {
  const agent = argv.includes('--agent');
  const pc = argv.includes('--pc');
  if (agent && pc) return { ok: false, problem: '--agent and --pc are two different apps: give one of them' };
  return { ok: true, app: agent ? 'agent' : pc ? 'pc' : 'kiosk' };
}

/** The value after `flag` (`--flag value` or `--flag=value`), or undefined (also for an empty one). */
export function shellOptionValue(argv: readonly string[], flag: string): string | undefined {
  const joined = argv.find((arg) => arg.startsWith(`${flag}=`));
  if (joined !== undefined) return joined.length > flag.length + 1 ? joined.slice(flag.length + 1) : undefined;
  const at = argv.indexOf(flag);
  const next = at === -1 ? undefined : argv[at + 1];
  return next === undefined || next === '' || next.startsWith('--') ? undefined : next;
}

/**
 * `--pc`'s settings: `dck pc --browser`'s options, under the same rules (pc-app-settings.ts). An option given with
 * no value is refused, as the CLI refuses it, rather than read as not given (`--state=` is no state directory).
 */
export function pcShellSettings(argv: readonly string[], defaultStateDir: string): PcAppSettingsRead {
  const values: { -readonly [K in keyof PcAppOptionValues]: PcAppOptionValues[K] } = {};
  for (const flag of PC_APP_OPTIONS) {
    const value = shellOptionValue(argv, flag);
    const given = argv.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
    if (given && value === undefined) return { ok: false, problem: `${flag} needs a value` };
    values[flag] = value;
  }
  return pcAppSettings(values, defaultStateDir);
}
