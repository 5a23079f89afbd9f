import { readFailureName } from '../util/read-input-file.js';

/**
 * The top-level policy file cannot be read. Not a PolicyError: there is no
 * line to point at. Like the reference (argparse), it is a usage problem, so
 * it carries exit status 2 for the CLI.
 */
export class PolicyFileError extends Error {
  readonly exitCode = 2;
  readonly code: string;

  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable';
    super(`cannot read policy file ${file} (${readFailureName(cause)})`);
    this.name = 'PolicyFileError';
    this.code = code;
  }
}
