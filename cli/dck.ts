// `dck`: the one command-line entry that reaches every part of the product (see DESIGN.md).
// Each subcommand lives in cli/commands/<name>.ts and exports `summary` and `run(args)`, so a part can add
// its command without touching this file.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliCommand } from './command.ts';

const commandsDir = fileURLToPath(new URL('./commands/', import.meta.url));
const COMMAND_NAME = /^[a-z][a-z-]{0,30}$/;

function availableCommands(): string[] {
  return readdirSync(commandsDir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((name) => COMMAND_NAME.test(name))
    .sort();
}

async function loadCommand(name: string): Promise<CliCommand | null> {
  // The name is checked against a strict pattern and an existing file before it reaches import().
  if (!COMMAND_NAME.test(name) || !existsSync(`${commandsDir}${name}.ts`)) return null;
  return (await import(`./commands/${name}.ts`)) as CliCommand;
}

async function printUsage(): Promise<void> {
  const lines = ['usage: dck <command> [options]', '', 'commands:'];
  for (const name of availableCommands()) {
    const command = await loadCommand(name);
    lines.push(`  ${name.padEnd(14)} ${command?.summary ?? ''}`);
  }
  lines.push('', "Run `dck <command> --help` for a command's options.");
  console.log(lines.join('\n'));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    await printUsage();
    return name === undefined ? 2 : 0;
  }
  const command = await loadCommand(name);
  if (command === null) {
    console.error(`dck: unknown command "${name.slice(0, 40)}". Run \`dck --help\` for the list.`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Last-resort handler: print the message only (never a stack with arguments in it) and fail.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`dck: ${message}`);
    process.exitCode = 1;
  },
);
