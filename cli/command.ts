/** What every `dck` subcommand module (cli/commands/<name>.ts) exports. */
export interface CliCommand {
  /** One line for `dck --help`. */
  readonly summary: string;
  /** Runs the command; resolves to the process exit code (0 success, 1 failure, 2 usage error). */
  run(args: string[]): Promise<number>;
}
