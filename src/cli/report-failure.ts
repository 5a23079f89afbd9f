import { ArchFileError } from '../arch/arch-json.js';
import { PolicyError } from '../policy/errors.js';
import { EXIT_POLICY_ERROR, EXIT_USAGE_ERROR } from './exit-codes.js';

/** A problem with how the command was called (bad option value, missing file argument, ...). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Turns any failure into a message on stderr and an exit status. Known errors
 * print their own text; anything else is a bug in jail-run, reported in one
 * line (set JAIL_RUN_DEBUG=1 for the stack).
 */
export function reportFailure(error: unknown): number {
  if (error instanceof PolicyError) {
    process.stderr.write(`${error.format()}\n`);
    return EXIT_POLICY_ERROR;
  }
  // Like the reference compiler (argparse), an unusable arch file is a usage error.
  if (error instanceof UsageError || error instanceof ArchFileError) {
    process.stderr.write(`jail-run: ${error.message}\n`);
    return EXIT_USAGE_ERROR;
  }
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`jail-run: ${message}\n`);
  if (process.env.JAIL_RUN_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return typeof exitCode === 'number' ? exitCode : EXIT_POLICY_ERROR;
}
