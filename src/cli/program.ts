import { Command, CommanderError } from 'commander';
import { EXIT_USAGE_ERROR } from './exit-codes.js';
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
  return program;
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
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE_ERROR;
    }
    return reportFailure(error);
  }
}
