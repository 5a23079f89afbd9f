#!/usr/bin/env node
/**
 * The `jail-run` command. A thin layer over the library: each subcommand lives
 * in src/cli/commands/ and registers itself on the program built here.
 */
import { constants as osConstants } from 'node:os';
import { EXIT_POLICY_ERROR, EXIT_SIGNAL_BASE } from './exit-codes.js';
import { runCli } from './program.js';

// A failed write to standard output arrives as an 'error' event, which Node
// would otherwise end with a stack trace: `jail-run disasm F | head` closes the
// pipe (end quietly, as a shell tool killed by SIGPIPE does), `> /dev/full`
// fills the disk (say so).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_SIGNAL_BASE + osConstants.signals.SIGPIPE);
  process.stderr.write(`jail-run: cannot write standard output (${error.code ?? error.message})\n`);
  process.exit(EXIT_POLICY_ERROR);
});

process.exitCode = await runCli(process.argv.slice(2));
