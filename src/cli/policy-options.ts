import { accessSync, constants, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { ArchTable } from '../arch/index.js';
import type { CompileOptions } from '../compile.js';
import { archJsonOption, archOption, selectArch, type ArchOptionValues } from './arch-option.js';
import { UsageError } from './report-failure.js';

/** The options every command that compiles a policy shares (compile, check). */
export interface PolicyOptionValues extends ArchOptionValues {
  defaultAction?: string;
  useKillProcess?: boolean;
  useRetLog?: boolean;
  denylist?: boolean;
  optimizationStrategy?: 'bst' | 'linear';
  includeDepthLimit?: string;
  layout?: 'minijail' | 'optimized';
}

/** Set in the environment, it turns on --use-ret-log, as the reference compiler does. */
export const RET_LOG_ENVIRONMENT_VARIABLE = 'MINIJAIL_DEFAULT_RET_LOG';

/** Adds the reference compiler's options plus --layout and the arch choice. */
export function addPolicyOptions(command: Command): Command {
  return command
    .addOption(new Option('--default-action <action>', 'action for syscalls the policy does not list, e.g. trap, kill-process, "return 1"'))
    .addOption(new Option('--use-kill-process', 'the "kill" action kills the whole process instead of the thread'))
    .addOption(new Option('--use-ret-log', `the "kill" action and every "return" become log (also when ${RET_LOG_ENVIRONMENT_VARIABLE} is set)`))
    .addOption(new Option('--denylist', 'the policy lists what is denied; everything else is allowed'))
    .addOption(new Option('--optimization-strategy <strategy>', 'how syscall numbers are dispatched').choices(['bst', 'linear']).default('bst'))
    .addOption(new Option('--include-depth-limit <n>', 'how deeply @include may nest').default('10'))
    .addOption(archOption())
    .addOption(archJsonOption())
    .addOption(
      new Option('--layout <layout>', 'minijail: byte-identical to the reference compiler; optimized: fewer instructions run, hardened')
        .choices(['minijail', 'optimized'])
        .default('optimized'),
    );
}

function parseDepthLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--include-depth-limit wants a whole number of at least 1, not "${text}"`);
  return Number(text);
}

/**
 * The compiler options these values ask for. `notice` receives what the user
 * should know about choices made for them (the environment variable).
 */
export function compileOptionsFrom(values: PolicyOptionValues, notice: (text: string) => void): CompileOptions & { arch: ArchTable } {
  let useRetLog = values.useRetLog === true;
  const fromEnvironment = process.env[RET_LOG_ENVIRONMENT_VARIABLE];
  // The reference tests for presence, not value: an empty MINIJAIL_DEFAULT_RET_LOG turns it on too.
  if (!useRetLog && fromEnvironment !== undefined) {
    notice(`${RET_LOG_ENVIRONMENT_VARIABLE} is set: compiling as with --use-ret-log (kill and return actions become log)`);
    useRetLog = true;
  }
  const options: CompileOptions & { arch: ArchTable } = {
    arch: selectArch(values),
    useKillProcess: values.useKillProcess === true,
    useRetLog,
    denylist: values.denylist === true,
    includeDepthLimit: parseDepthLimit(values.includeDepthLimit ?? '10'),
    layout: values.layout ?? 'optimized',
    strategy: values.optimizationStrategy ?? 'bst',
  };
  // Like the reference, an empty --default-action counts as not given.
  return values.defaultAction === undefined || values.defaultAction === '' ? options : { ...options, defaultAction: values.defaultAction };
}


/**
 * Refuses a policy path that cannot be read, as a usage error (exit 2) like
 * the reference's argparse. compilePolicy reports the same through
 * PolicyFileError; this is for commands that look at the file before
 * compiling it.
 */
export function ensurePolicyReadable(file: string): void {
  try {
    accessSync(file, constants.R_OK);
    if (statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code;
    throw new UsageError(`cannot read policy ${file}: ${why}`);
  }
}
