import { Command, CommanderError } from 'commander';
import { packageVersion } from '../devices/package-root.js';
import { EXIT_LAUNCHER_FAILURE, EXIT_USAGE_ERROR } from './exit-codes.js';
import { reportFailure } from './report-failure.js';

/**
 * A subcommand module: it adds itself to the program. Its action sets the exit
 * status through the returned promise's value (see `CommandOutcome`).
 */
export type CommandRegistrar = (program: Command, outcome: CommandOutcome) => void;

/** Collects the exit status chosen by whichever action ran. */
export class CommandOutcome {
  exitCode = 0;
}

const registrars: CommandRegistrar[] = [];

/** Called by command modules at import time (see commands/index.ts). */
export function registerCommand(registrar: CommandRegistrar): void {
  registrars.push(registrar);
}

export function buildProgram(outcome: CommandOutcome): Command {
  const program = new Command('jail-run')
    .description('Run virtual-machine device processes under seccomp policies, and compile, inspect and check those policies.')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  for (const registrar of registrars) registrar(program, outcome);
  // The root has an action (the run mode), so commander adds neither of these by itself.
  program.version(packageVersion(), '-V, --version').helpCommand(true);
  return program;
}

/**
 * `jail-run [options] -- PROGRAM` rather than a subcommand: there jail-run's
 * own failures, usage errors included, exit 125 as env(1)'s do, so that a
 * caller can tell them from the program's statuses.
 */
function isRunMode(program: Command, argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined || first === 'help') return false;
  if (program.commands.some((command) => command.name() === first || command.aliases().includes(first))) return false;
  return first.startsWith('-') || argv.includes('--');
}

/** Runs the CLI and returns the exit status; never throws, never prints a stack trace. */
export async function runCli(argv: readonly string[]): Promise<number> {
  await import('./commands/index.js');
  const outcome = new CommandOutcome();
  const program = buildProgram(outcome);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return outcome.exitCode;
  } catch (error) {
    // --help and --version end through here with exit code 0.
    const status = error instanceof CommanderError ? (error.exitCode === 0 ? 0 : EXIT_USAGE_ERROR) : reportFailure(error);
    return status !== 0 && isRunMode(program, argv) ? EXIT_LAUNCHER_FAILURE : status;
  }
}
