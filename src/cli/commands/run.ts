/**
 * The root mode: `jail-run --policy FILE [options] -- PROGRAM [ARGS]` runs a
 * program under a policy (src/launch/spawn-jailed.ts) and exits as the
 * program did (docs/launcher.md, "Exit statuses").
 *
 * Other ways of naming the policy (the device catalog's `--device NAME
 * --transport T`) plug in through `addRunPolicySource`: each source adds its
 * options to the root command and turns their values into a policy file.
 */
import { fstatSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { Option, type Command } from 'commander';
import type { ArchTable } from '../../arch/index.js';
import { formatDenialReport, type DenialReport } from '../../launch/denials.js';
import { ProgramTooLongError } from '../../bpf/program-length.js';
import { LaunchError } from '../../launch/errors.js';
import { DEFAULT_STAGE_B_TIMEOUT_MS, spawnJailed, type JailedExit, type JailedProcess, type StdioOption } from '../../launch/spawn-jailed.js';
import { PolicyError } from '../../policy/errors.js';
import { EXIT_LAUNCHER_FAILURE, EXIT_SIGNAL_BASE } from '../exit-codes.js';
import { addPolicyOptions, compileOptionsFrom, ensurePolicyReadable, type PolicyOptionValues } from '../policy-options.js';
import { registerCommand, type CommandOutcome } from '../program.js';
import { UsageError } from '../report-failure.js';
import { closestName, didYouMean } from '../../util/closest-name.js';

/** Option values of the root mode. Sources add their own keys. */
export interface RunValues extends PolicyOptionValues {
  policy?: string;
  logFailures?: boolean;
  reportErrnoRules?: boolean;
  stageBTimeout?: string;
  passFd?: number[];
  quiet?: boolean;
  [sourceOption: string]: unknown;
}

/** Another way to name the policy a program runs under (see the module comment). */
export interface RunPolicySource {
  /** How the source is named in a conflict message, e.g. "--device". */
  readonly name: string;
  addOptions(command: Command): void;
  /** The policy file the values ask for, or undefined when this source's options were not used. */
  resolve(values: RunValues, arch: ArchTable): string | undefined;
}

const policySources: RunPolicySource[] = [];

/** Called at import time by modules that offer another way to pick the policy (before the program is built). */
export function addRunPolicySource(source: RunPolicySource): void {
  policySources.push(source);
}

/** The kernel kills with SIGSYS on a seccomp kill; a program the launcher kills for a denial exits the same way. */
const SIGSYS = osConstants.signals.SIGSYS;
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** The exit status for the program's end: its own, 128+N for signal N, 128+SIGSYS when killed for a denial. */
export function exitStatusOf(exit: JailedExit): number {
  if (exit.killedForDenial !== undefined) return EXIT_SIGNAL_BASE + SIGSYS;
  if (exit.signal !== null) return EXIT_SIGNAL_BASE + (osConstants.signals[exit.signal] ?? 0);
  return exit.code ?? EXIT_LAUNCHER_FAILURE;
}

function choosePolicy(values: RunValues, arch: ArchTable): string {
  const chosen: { name: string; file: string }[] = [];
  if (values.policy !== undefined) chosen.push({ name: '--policy', file: values.policy });
  for (const source of policySources) {
    const file = source.resolve(values, arch);
    if (file !== undefined) chosen.push({ name: source.name, file });
  }
  if (chosen.length > 1) throw new UsageError(`${chosen.map((entry) => entry.name).join(' and ')} both name a policy: give one`);
  if (chosen.length === 0) {
    const ways = ['--policy FILE', ...policySources.map((source) => source.name)].join(' or ');
    throw new UsageError(`no policy: name one with ${ways}`);
  }
  return chosen[0].file;
}

/** The command line as given; commander keeps it but does not declare it. */
const rawArgsOf = (command: Command): readonly string[] => (command as unknown as { rawArgs?: string[] }).rawArgs ?? [];

/** Everything after the first `--` of the command line: the program and its arguments. */
function programAfterSeparator(rawArgs: readonly string[], operands: readonly string[], commandNames: readonly string[]): string[] {
  const separator = rawArgs.indexOf('--');
  if (operands.length === 0) throw new UsageError('no program: jail-run --policy FILE [options] -- PROGRAM [ARGS]');
  // Operands before the "--" are not a program: most likely a mistyped subcommand.
  if (separator < 0 || rawArgs.length - separator - 1 !== operands.length) {
    throw new UsageError(
      `unknown command "${operands[0]}"${didYouMean(closestName(operands[0], commandNames))}; to run a program under a policy put it after "--": ` +
        `jail-run --policy FILE -- ${operands.join(' ')}`,
    );
  }
  return [...operands];
}

function collectFd(text: string, previous: number[] | undefined): number[] {
  if (!/^\d+$/.test(text) || Number(text) < 3 || Number(text) > 1023) throw new UsageError(`--pass-fd wants a descriptor number from 3 to 1023, not "${text}"`);
  try {
    fstatSync(Number(text));
  } catch {
    throw new UsageError(`--pass-fd ${text}: jail-run has no descriptor ${text} open to pass on (start it with one, e.g. ${text}<FILE)`);
  }
  return [...(previous ?? []), Number(text)];
}

/**
 * stdin, stdout and stderr as jail-run has them, plus each --pass-fd at the
 * same number (a device's disk or socket, inherited from whoever started
 * jail-run); the gaps in between get /dev/null, every other fd is closed.
 */
function stdioFor(passFds: readonly number[] | undefined): StdioOption[] {
  const stdio: StdioOption[] = ['inherit', 'inherit', 'inherit'];
  for (let fd = 3; fd <= Math.max(2, ...(passFds ?? [])); fd++) stdio.push(passFds?.includes(fd) === true ? fd : 'ignore');
  return stdio;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) === 0) throw new UsageError(`--stage-b-timeout wants a positive number of milliseconds, not "${text}"`);
  return Number(text);
}

function summarizeDenials(denials: readonly DenialReport[]): string {
  const counts = new Map<string, number>();
  for (const denial of denials) counts.set(denial.syscall, (counts.get(denial.syscall) ?? 0) + 1);
  const list = [...counts].map(([syscall, count]) => (count > 1 ? `${syscall} (${count}x)` : syscall)).join(', ');
  return `jail-run: ${denials.length} denied call${denials.length === 1 ? '' : 's'}: ${list}`;
}

/**
 * Stage A is the policy plus the launch prologue: a policy that fits the
 * kernel's limit alone may not with it, and the launcher's error cannot say
 * which policy that was.
 */
function withPolicyNamed<T>(policyFile: string, launch: () => T): T {
  try {
    return launch();
  } catch (error) {
    if (error instanceof ProgramTooLongError && error.file === undefined) {
      throw new ProgramTooLongError(error.length, error.limit, `${policyFile} with the launch prologue`, error.lowerBound);
    }
    throw error;
  }
}

async function runProgram(values: RunValues, argv: readonly string[], outcome: CommandOutcome): Promise<void> {
  const [file, ...args] = argv;
  const notice = (text: string) => {
    if (values.quiet !== true) process.stderr.write(`jail-run: notice: ${text}\n`);
  };
  const compileOptions = compileOptionsFrom(values, notice);
  const policyFile = choosePolicy(values, compileOptions.arch);
  ensurePolicyReadable(policyFile);
  const { arch, ...policyOptions } = compileOptions;
  // Listen before spawning: from the moment the program runs, a SIGTERM must
  // reach it instead of ending jail-run by default. Listeners run only after
  // this synchronous spawn, when the child exists.
  let child: JailedProcess | undefined;
  const forward = (signal: NodeJS.Signals) => child?.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    child = withPolicyNamed(policyFile, () =>
      spawnJailed(file, args, {
        policy: policyFile,
        arch,
        policyOptions,
        stdio: stdioFor(values.passFd),
        logFailures: values.logFailures === true,
        reportErrnoRules: values.reportErrnoRules === true,
        defaultFromCommandLine: values.defaultAction !== undefined,
        // A catalog policy (--device) is compiled through the user's compile cache (issue #4); a --policy file fresh each run.
        ...(policyFile !== values.policy ? { programCache: {} } : {}),
        ...(values.stageBTimeout !== undefined ? { stageBTimeoutMs: parseTimeout(values.stageBTimeout) } : {}),
      }),
    );
    child.on('notice', notice);
    child.on('denial', (report) => process.stderr.write(`${formatDenialReport(report)}\n`));
    const exit = await child.exited;
    if (values.logFailures === true && exit.denials.length > 0) process.stderr.write(`${summarizeDenials(exit.denials)}\n`);
    outcome.exitCode = exitStatusOf(exit);
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  }
}

registerCommand((program: Command, outcome: CommandOutcome) => {
  // Root options must not swallow a subcommand's options of the same name (compile --arch).
  program.enablePositionalOptions();
  program
    .usage('[--policy FILE] [options] -- PROGRAM [ARGS...]\n       jail-run <command> [options]')
    .argument('[program...]', 'the program to run and its arguments, after "--"')
    .addOption(new Option('--policy <file>', 'run PROGRAM under this policy file'))
    .addOption(new Option('--log-failures', 'answer denied calls with EPERM (or the policy\'s errno) and go on, reporting every one'))
    .addOption(new Option('--report-errno-rules', 'also report calls a rule answers with "return ERRNO" (same answer)'))
    .addOption(new Option('--stage-b-timeout <ms>', `how long a dynamic program's preload has to confirm the exact policy (default ${DEFAULT_STAGE_B_TIMEOUT_MS})`))
    .addOption(new Option('--pass-fd <fd>', 'give PROGRAM this inherited descriptor, at the same number (repeat for more)').argParser(collectFd))
    .addOption(new Option('-q, --quiet', 'no notices on stderr (denial reports are still printed)'));
  addPolicyOptions(program);
  for (const source of policySources) source.addOptions(program);
  program.action(async (operands: string[], values: RunValues) => {
    let argv: string[];
    try {
      argv = programAfterSeparator(rawArgsOf(program), operands, program.commands.map((command) => command.name()));
    } catch (error) {
      if (operands.length === 0 && values.policy === undefined) {
        program.outputHelp();
        outcome.exitCode = EXIT_LAUNCHER_FAILURE;
        return;
      }
      throw error;
    }
    try {
      await runProgram(values, argv, outcome);
    } catch (error) {
      // In run mode every failure of jail-run itself is 125, or 126/127 for the program (env(1) conventions).
      if (error instanceof PolicyError) {
        process.stderr.write(`${error.format()}\n`);
        outcome.exitCode = EXIT_LAUNCHER_FAILURE;
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`jail-run: ${message}\n`);
      // As in report-failure.ts: the stack only on request, and only for what may be a bug in jail-run.
      if (process.env.JAIL_RUN_DEBUG && !(error instanceof LaunchError || error instanceof UsageError) && error instanceof Error && error.stack) {
        process.stderr.write(`${error.stack}\n`);
      }
      outcome.exitCode = error instanceof LaunchError ? error.exitCode : EXIT_LAUNCHER_FAILURE;
    }
  });
});
