// The Electron shell's `--agent` command line: the help-desk console against a configured issuer
// (`--agent --issuer https://… --ca FILE`), as `dck agent --browser` takes them. Pure, so it is tested under Node.
export type AgentShellOptions =
  | { readonly ok: true; readonly issuerUrl: string; readonly caFile: string }
  | { readonly ok: false; readonly problem: string };

/** The value after `flag` (`--flag value` or `--flag=value`), or undefined. */
function valueOf(argv: readonly string[], flag: string): string | undefined {
  const joined = argv.find((arg) => arg.startsWith(`${flag}=`));
  if (joined !== undefined) return joined.slice(flag.length + 1);
  const at = argv.indexOf(flag);
  const next = at === -1 ? undefined : argv[at + 1];
  return next === undefined || next.startsWith('--') ? undefined : next;
}

export function agentShellOptions(argv: readonly string[]): AgentShellOptions {
  const issuerUrl = valueOf(argv, '--issuer');
  const caFile = valueOf(argv, '--ca');
  if (issuerUrl === undefined || caFile === undefined)
    return { ok: false, problem: '--agent needs --issuer https://host:port and --ca FILE' };
  let url: URL;
  try {
    url = new URL(issuerUrl);
  } catch {
    return { ok: false, problem: '--issuer is not a URL' };
  }
  // The agent's session token and people's records travel on this connection: TLS only.
  if (url.protocol !== 'https:') return { ok: false, problem: '--issuer must be an https:// URL' };
  return { ok: true, issuerUrl: url.origin, caFile };
}
