// The "Set up this PC" app's settings from its command line. Two hosts read the same options: `dck pc --browser`
// (cli/pc-app.ts, through cli/args.ts) and Electron's `--pc` (main/electron/shell-args.ts); the rules between the
// options live here once, so the two cannot drift.
export interface PcAppSettings {
  readonly stateDir: string;
  /** For a first set-up; a PC that has state uses the issuer and CA file it saved. */
  readonly issuerUrl?: string;
  readonly caFile?: string;
  /**
   * As `dck pc enroll --store`. Unset: the TPM, except on a Windows PC without one, where Windows' software provider
   * is used when the tenant allows software keys (pc-setup.ts decides, for the CLI and the app alike).
   */
  readonly protection: 'tpm' | 'software' | undefined;
  /** As `dck pc enroll --nss-db` (undefined: ~/.pki/nssdb; 'none': leave NSS alone). */
  readonly nssDb?: string;
  readonly systemdDir?: string;
}

/** The app's own options (each takes a value); a host may add its own beside them (`--port`, `--no-open`). */
export const PC_APP_OPTIONS = ['--issuer', '--ca', '--store', '--state', '--nss-db', '--systemd-dir'] as const;
export type PcAppOptionValues = { readonly [K in (typeof PC_APP_OPTIONS)[number]]?: string | undefined };

const optional = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };

export type PcAppSettingsRead =
  { readonly ok: true; readonly settings: PcAppSettings } | { readonly ok: false; readonly problem: string };

/** The settings, or a sentence naming the option that is wrong. `defaultStateDir`: pc-state.ts defaultPcStateDir(). */
export function pcAppSettings(values: PcAppOptionValues, defaultStateDir: string): PcAppSettingsRead {
  const protection = values['--store'];
  if (protection !== undefined && protection !== 'tpm' && protection !== 'software')
    return { ok: false, problem: '--store is tpm or software' };
  if ((values['--issuer'] === undefined) !== (values['--ca'] === undefined))
    return { ok: false, problem: '--issuer URL and --ca FILE go together' };
  const settings: PcAppSettings = {
    stateDir: values['--state'] ?? defaultStateDir,
    protection,
    ...optional('issuerUrl', values['--issuer']),
    ...optional('caFile', values['--ca']),
    ...optional('nssDb', values['--nss-db']),
    ...optional('systemdDir', values['--systemd-dir']),
  };
  return { ok: true, settings };
}
