#!/usr/bin/env node
/**
 * The `jail-run` command. A thin layer over the library: each subcommand lives
 * in src/cli/commands/ and registers itself on the program built here.
 */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
