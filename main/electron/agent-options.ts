// The Electron shell's `--agent` command line: the help-desk console against a configured issuer
// (`--agent --issuer https://… --ca FILE`), as `dck agent --browser` takes them. Pure, so it is tested under Node.
import { shellOptionValue } from './shell-args.ts';

export type AgentShellOptions =
  | { readonly ok: true; readonly issuerUrl: string; readonly caFile: string }
  | { readonly ok: false; readonly problem: string };

export function agentShellOptions(argv: readonly string[]): AgentShellOptions {
  const issuerUrl = shellOptionValue(argv, '--issuer');
  const caFile = shellOptionValue(argv, '--ca');
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
