/**
 * spawnJailed: run a program under its seccomp policy, tight from execve on,
 * with a report for every denial (docs/launcher.md).
 *
 *   resolve the program (PATH) ─ read its ELF header ─ build stage A (and B)
 *   ─ addon: fork, stage A, execve ─ [dynamic: preload installs stage B and
 *   confirms] ─ listener: notifications → DenialReport → kill or answer
 *   ─ pidfd: exit → `exited`.
 *
 * Fail closed: a dynamic program whose preload does not confirm stage B in
 * time is killed and `ready`/`exited` reject with STAGE_B_UNCONFIRMED. The
 * child gets PR_SET_PDEATHSIG(SIGKILL), and the listener closes with the
 * launcher, so a dead launcher leaves no program running.
 */
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { hostArch, resolveArch } from '../arch/index.js';
import type { ArchTable } from '../arch/types.js';
import type { Instruction } from '../bpf/instruction.js';
import { encodeProgram } from '../bpf/index.js';
import { compilePolicy, type CodeLayout, type CompiledPolicy, type CompileOptions } from '../compile.js';
import type { CompileCacheOptions } from '../devices/compile-cache.js';
import type { PolicyIR } from '../policy/ir.js';
import { judgeDeniedCall, type DenialContext, type DenialReport } from './denials.js';
import { checkExecutableArch, inspectExecutable, type ExecutableInfo } from './elf.js';
import { LaunchError } from './errors.js';
import {
  NativeAddonMissingError,
  preloadLibraryPath,
  sendSignal,
  spawnNative,
  SpawnError,
  stageBChildFds,
  statusChildFd,
  watchExit,
  watchNotifications,
  watchPreloadConfirmation,
  type NativeSpawnRequest,
  type NativeSpawnResult,
  type NotificationListener,
  type PreloadConfirmation,
  type SeccompNotification,
  type StdioSpec,
  type Watch,
} from './native.js';
import { resolveProgram } from './resolve-program.js';
import { cachedLaunchFilters, type LaunchFilters } from './stages.js';

export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

/** A filter compiled elsewhere (a .bpf file): installed as it is, no prologue, no stages, no reports. */
export interface RawFilter {
  readonly rawProgram: Uint8Array | readonly Instruction[];
}

export interface SpawnJailedOptions {
  /** A policy file, a compiled policy (compilePolicy), or a raw filter. */
  readonly policy: string | CompiledPolicy | RawFilter;
  /** Arch of a policy file (name or table); default: the host's. Ignored for a compiled policy. */
  readonly arch?: string | ArchTable;
  /** Language and layout options for a policy file (defaultAction, useKillProcess, layout, ...). */
  readonly policyOptions?: Omit<CompileOptions, 'arch'>;
  /** Environment of the program; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** One option for all three, or one per fd (more entries pass more fds). Default 'pipe'. */
  readonly stdio?: StdioOption | readonly StdioOption[];
  /** argv[0]; default the program as given. */
  readonly argv0?: string;
  /** Answer stopping denials with EPERM and let the program go on (default: kill it). */
  readonly logFailures?: boolean;
  /** Also route a rule's explicit `return ERRNO` through the launcher (reported, same answer). */
  readonly reportErrnoRules?: boolean;
  /** Called for every denial, before the launcher answers it. */
  readonly onDenial?: (report: DenialReport) => void;
  /** How long a dynamic program's preload has to confirm stage B; default {@link DEFAULT_STAGE_B_TIMEOUT_MS}. */
  readonly stageBTimeoutMs?: number;
  /** Another launch prologue file (experiments, tests). */
  readonly prologueFile?: string;
  /** Another preload library (tests); default the one built from native/. */
  readonly preloadPath?: string;
  /** Signal for the program when the launcher dies; default SIGKILL. 0 disables. */
  readonly deathSignal?: number;
  /** For reports: --default-action came from the command line. */
  readonly defaultFromCommandLine?: boolean;
  /** Reuse stage programs from the compile cache (src/devices/compile-cache.ts); off when absent. */
  readonly programCache?: CompileCacheOptions;
}

export interface JailedExit {
  /** Exit status, or null when a signal ended the program. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Every denial, in order. */
  readonly denials: readonly DenialReport[];
  /** The denial the launcher killed the program for, if it did. */
  readonly killedForDenial?: DenialReport;
}

export interface JailedProcessEvents {
  denial: [DenialReport];
  /** Something the user should know that is not an error (a static program runs on stage A alone). */
  notice: [string];
  /** Stage B confirmed (dynamic) or stage A in force (static). */
  ready: [];
  exit: [JailedExit];
}

/**
 * Until the preload confirms, a dynamic program runs under stage A (policy ∪
 * loader prologue); if the preload never runs, main does too, until this
 * timeout kills it. Measured (bench/stage-b-latency.ts, docs/launcher.md):
 * one launch confirms in ~4 ms idle and under 0.25 s with the cores 4x
 * oversubscribed; only a hundred launches at once on an overloaded machine
 * come near 2 s. Raise it with stageBTimeoutMs / --stage-b-timeout there.
 */
export const DEFAULT_STAGE_B_TIMEOUT_MS = 2_000;
const SIGKILL = 9;

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const number = (osConstants.signals as Record<string, number>)[signal];
  if (number === undefined) throw new TypeError(`unknown signal ${signal}`);
  return number;
}

/** A running jailed program. */
export class JailedProcess extends EventEmitter<JailedProcessEvents> {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Extra parent-side streams for stdio entries beyond 2 that were 'pipe'. */
  readonly stdio: readonly (Socket | null)[];
  readonly executable: ExecutableInfo;
  /** 'A' for a static program (stage A only), 'B' once a dynamic program's stage B is the exact policy. */
  readonly stages: 'A' | 'A+B';
  readonly denials: DenialReport[] = [];
  /** Resolves when the exact policy is in force; rejects (and the program is killed) when stage B is not confirmed. */
  readonly ready: Promise<void>;
  readonly exited: Promise<JailedExit>;

  #pidfd: number;
  #running = true;
  #killedForDenial: DenialReport | undefined;
  #failure: LaunchError | undefined;
  #listener: NotificationListener | undefined;
  #confirmation: Watch | undefined;
  #exitWatch: Watch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #exitStatus: { code: number | null; signal: number | null } | undefined;
  #finished = false;
  #resolveReady!: () => void;
  #rejectReady!: (error: LaunchError) => void;
  #resolveExited!: (exit: JailedExit) => void;
  #rejectExited!: (error: LaunchError) => void;

  /** @internal use spawnJailed */
  constructor(spawned: NativeSpawnResult, executable: ExecutableInfo, stages: 'A' | 'A+B') {
    super();
    this.pid = spawned.pid;
    this.#pidfd = spawned.pidfd;
    this.executable = executable;
    this.stages = stages;
    const streams = spawned.stdioFds.map((fd, index) =>
      fd === null ? null : new Socket({ fd, readable: index !== 0, writable: index === 0 }),
    );
    this.stdio = streams;
    this.stdin = streams[0] ?? null;
    this.stdout = streams[1] ?? null;
    this.stderr = streams[2] ?? null;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.exited = new Promise((resolve, reject) => {
      this.#resolveExited = resolve;
      this.#rejectExited = reject;
    });
    // A caller that never looks at `ready` must not get an unhandled rejection; `exited` carries the failure too.
    this.ready.catch(() => undefined);
  }

  /** Sends a signal (default SIGTERM); false when the program has already exited. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (!this.#running) return false;
    return sendSignal(this.#pidfd, signalNumber(signal));
  }

  get running(): boolean {
    return this.#running;
  }

  /** @internal */
  startWatching(): void {
    this.#exitWatch = watchExit(this.#pidfd, (code, signal) => this.#onExit(code, signal));
  }

  /** @internal */
  attachListener(listenerFd: number, context: DenialContext, onDenial: ((report: DenialReport) => void) | undefined): void {
    this.#listener = watchNotifications(
      listenerFd,
      (notification) => this.#onNotification(notification, context, onDenial),
      () => undefined,
    );
  }

  /** @internal */
  markReady(): void {
    this.#resolveReady();
    this.emit('ready');
  }

  /** @internal the program must not go on: kill it and fail `ready` and `exited`. */
  failClosed(error: LaunchError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#rejectReady(error);
    if (this.#running) sendSignal(this.#pidfd, SIGKILL);
  }

  /** @internal */
  awaitConfirmation(stageBFd: number, timeoutMs: number, onConfirmed: (listenerFd: number | undefined) => void): void {
    this.#timer = setTimeout(() => {
      // Timers run before I/O in a loop turn: after a busy stretch of the
      // launcher (many spawns at once) the timer can come due while the
      // confirmation already waits in the channel. Decide after this turn's
      // I/O (setImmediate runs after the poll phase), so only a confirmation
      // that is really late fails the launch.
      setImmediate(() => this.#confirmationTimedOut(timeoutMs));
    }, timeoutMs);
    // The timer alone must not keep a launcher alive whose program is gone; the exit watch holds the loop.
    this.#timer.unref();
    this.#confirmation = watchPreloadConfirmation(stageBFd, (result) => {
      this.#confirmation = undefined;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      if (result.kind === 'confirmed') {
        // A throwing 'ready' listener must not keep an exit that came first unsettled.
        try {
          onConfirmed(result.listenerFd);
        } finally {
          this.#finishExit();
        }
        return;
      }
      this.#failClosedThenSettle(unconfirmedError(this.executable.program, result));
    });
  }

  #confirmationTimedOut(timeoutMs: number): void {
    if (this.#confirmation === undefined) return; // answered in the same loop turn
    this.#confirmation.close();
    this.#confirmation = undefined;
    this.#failClosedThenSettle(
      new LaunchError(
        'STAGE_B_UNCONFIRMED',
        `${this.executable.program}: the preload library did not confirm stage B within ${timeoutMs} ms; the program was killed (fail closed)`,
        this.executable.program,
        'stage-b',
      ),
    );
  }

  #failClosedThenSettle(error: LaunchError): void {
    this.failClosed(error);
    this.#finishExit();
  }

  #onNotification(notification: SeccompNotification, context: DenialContext, onDenial: ((report: DenialReport) => void) | undefined): void {
    const listener = this.#listener;
    let report: DenialReport;
    try {
      report = judgeDeniedCall(notification, context);
    } catch {
      // Never let a call through that could not be judged.
      sendSignal(this.#pidfd, SIGKILL);
      return;
    }
    this.denials.push(report);
    try {
      onDenial?.(report);
      this.emit('denial', report);
    } finally {
      const response = report.response;
      if (response.kind === 'kill') {
        this.#killedForDenial ??= report;
        sendSignal(this.#pidfd, SIGKILL);
      } else {
        try {
          const answered = listener?.respond(notification.id, response.kind === 'errno' ? { error: response.errno } : { continue: true });
          if (answered === false) {
            // The caller is gone (killed meanwhile): nothing to answer.
          }
        } catch {
          sendSignal(this.#pidfd, SIGKILL);
        }
      }
    }
  }

  #onExit(code: number | null, signal: number | null): void {
    this.#running = false;
    this.#exitWatch = undefined;
    this.#exitStatus = { code, signal };
    // A confirmation may still sit in the channel (a program that exits right
    // after main starts): settle it first, the closed channel ends the wait.
    if (this.#confirmation === undefined) this.#finishExit();
  }

  #finishExit(): void {
    const status = this.#exitStatus;
    if (status === undefined || this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#confirmation?.close();
    this.#listener?.close();
    try {
      closeSync(this.#pidfd);
    } catch {
      // already closed
    }
    const exit: JailedExit = {
      code: status.code,
      signal: status.signal === null ? null : (signalNames.get(status.signal) ?? (`SIG${status.signal}` as NodeJS.Signals)),
      denials: this.denials,
      ...(this.#killedForDenial !== undefined ? { killedForDenial: this.#killedForDenial } : {}),
    };
    // Settle first: an 'exit' listener that throws (an uncaught exception,
    // as from any event listener) must not leave `exited` pending.
    if (this.#failure !== undefined) this.#rejectExited(this.#failure);
    else this.#resolveExited(exit);
    this.emit('exit', exit);
  }
}

function unconfirmedError(program: string, result: Exclude<PreloadConfirmation, { kind: 'confirmed' }>): LaunchError {
  if (result.kind === 'failed') {
    return new LaunchError(
      'STAGE_B_UNCONFIRMED',
      `${program}: the preload library could not install stage B (${result.stage} failed with ${result.code}); the program was stopped before main (fail closed)`,
      program,
      `stage-b:${result.stage}`,
      result.code,
    );
  }
  return new LaunchError(
    'STAGE_B_UNCONFIRMED',
    `${program}: stage B was never confirmed (the preload library did not run, or the program died before main); the program was killed (fail closed)`,
    program,
    'stage-b',
  );
}

function stdioSpecs(stdio: SpawnJailedOptions['stdio']): StdioSpec[] {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (!Array.isArray(stdio)) return [stdio as StdioOption, stdio as StdioOption, stdio as StdioOption];
  const specs = [...(stdio as readonly StdioOption[])];
  while (specs.length < 3) specs.push('ignore');
  return specs;
}

function environmentStrings(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env).flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${value}`]));
}

interface PreparedPolicy {
  readonly ir: PolicyIR;
  readonly layout: CodeLayout;
  readonly strategy: 'bst' | 'linear';
}

let cachedLauncherArch: ArchTable | null | undefined;

/** The arch table of the process doing the launch, when we ship one. */
function launcherArch(): ArchTable | undefined {
  if (cachedLauncherArch === undefined) {
    try {
      cachedLauncherArch = resolveArch(hostArch());
    } catch {
      cachedLauncherArch = null;
    }
  }
  return cachedLauncherArch ?? undefined;
}

function isRawFilter(policy: SpawnJailedOptions['policy']): policy is RawFilter {
  return typeof policy === 'object' && 'rawProgram' in policy;
}

function preparePolicy(options: SpawnJailedOptions): PreparedPolicy | RawFilter {
  const policy = options.policy;
  if (typeof policy !== 'string' && (typeof policy !== 'object' || policy === null)) throw new TypeError('spawnJailed: options.policy must be a policy file, a compiled policy or a raw filter');
  if (isRawFilter(policy)) return policy;
  if (typeof policy !== 'string') return { ir: policy.ir, layout: policy.layout, strategy: options.policyOptions?.strategy ?? 'bst' };
  const arch = options.arch === undefined ? resolveArch(hostArch()) : typeof options.arch === 'string' ? resolveArch(options.arch) : options.arch;
  const compiled = compilePolicy(policy, { ...options.policyOptions, arch });
  return { ir: compiled.ir, layout: compiled.layout, strategy: options.policyOptions?.strategy ?? 'bst' };
}

/** The SpawnError of the addon as a LaunchError with the CLI's exit status. */
function launchErrorOf(error: SpawnError, program: string): LaunchError {
  const detail = `${error.stage} failed with ${error.code}`;
  if (error.stage === 'execve') {
    if (error.code === 'ENOENT') return new LaunchError('NOT_FOUND', `${program}: cannot execute (${detail}): a file it needs is missing`, program, error.stage, error.code);
    if (['EACCES', 'ENOEXEC', 'ETXTBSY', 'EISDIR', 'ELIBBAD', 'EPERM'].includes(error.code)) {
      return new LaunchError('NOT_EXECUTABLE', `${program}: cannot execute (${detail})`, program, error.stage, error.code);
    }
  }
  if (error.stage === 'seccomp') {
    const which = error.filterIndex === undefined ? 'a filter' : `filter ${error.filterIndex}`;
    const why =
      error.code === 'EDEADLK'
        ? 'the filter denies a call the launcher itself makes between installing it and execve'
        : `the kernel refused ${which} (${error.code})`;
    return new LaunchError('FILTER_REJECTED', `${program}: not started: ${why}`, program, error.stage, error.code);
  }
  return new LaunchError('LAUNCH_FAILED', `${program}: not started: ${detail}`, program, error.stage, error.code);
}

function spawnOrExplain(request: NativeSpawnRequest, program: string): NativeSpawnResult {
  try {
    return spawnNative(request);
  } catch (error) {
    if (error instanceof SpawnError) throw launchErrorOf(error, program);
    if (error instanceof NativeAddonMissingError) throw new LaunchError('ADDON_UNAVAILABLE', error.message, program, 'addon');
    throw error;
  }
}

/**
 * Starts `file` with `args` under the policy. Throws LaunchError (with its
 * exit status) when the program cannot be started; PolicyError for a bad
 * policy file.
 */
export function spawnJailed(file: string, args: readonly string[], options: SpawnJailedOptions): JailedProcess {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const program = resolveProgram(file, { cwd, path: env.PATH });
  const executable = inspectExecutable(program, cwd);
  const stdio = stdioSpecs(options.stdio);
  const prepared = preparePolicy(options);
  const baseRequest = {
    file: program,
    argv: [options.argv0 ?? file, ...args],
    envp: environmentStrings(env),
    cwd,
    stdio,
    // 0 means no death signal: the addon takes 1..64 or nothing.
    ...(options.deathSignal === 0 ? {} : { deathSignal: options.deathSignal ?? SIGKILL }),
  };

  if ('rawProgram' in prepared) {
    const bytes = prepared.rawProgram instanceof Uint8Array ? prepared.rawProgram : encodeProgram(prepared.rawProgram);
    const spawned = spawnOrExplain({ ...baseRequest, filters: [bytes] }, program);
    const child = new JailedProcess(spawned, executable, 'A');
    child.startWatching();
    child.markReady();
    return child;
  }

  checkExecutableArch(executable, prepared.ir.arch.name);
  const context: DenialContext = {
    policy: prepared.ir,
    layout: prepared.layout,
    logFailures: options.logFailures === true,
    defaultFromCommandLine: options.defaultFromCommandLine ?? options.policyOptions?.defaultAction !== undefined,
  };
  const filters: LaunchFilters = cachedLaunchFilters(prepared.ir, {
    linkage: executable.linkage,
    layout: prepared.layout,
    strategy: prepared.strategy,
    ...(executable.linkage === 'dynamic'
      ? { channelFds: stageBChildFds(stdio.length) }
      : { statusFd: statusChildFd(stdio.length, false) }),
    ...(options.prologueFile !== undefined ? { prologueFile: options.prologueFile } : {}),
    notify: { explicitErrno: options.reportErrnoRules === true },
    ...(options.programCache !== undefined ? { programCache: options.programCache } : {}),
    ...(launcherArch() !== undefined ? { hostArch: launcherArch() } : {}),
  });

  if (filters.stageB === undefined) {
    const spawned = spawnOrExplain({ ...baseRequest, filters: [filters.stageA.bytes], listenerFilterIndex: 0 }, program);
    const child = new JailedProcess(spawned, executable, 'A');
    if (spawned.listenerFd !== undefined) child.attachListener(spawned.listenerFd, context, options.onDenial);
    child.startWatching();
    queueMicrotask(() => {
      try {
        child.emit(
          'notice',
          `${program} is statically linked: no preload library can narrow the filter after start-up, so stage A ` +
            `(the policy plus the static launch prologue) stays in force for the whole run`,
        );
      } finally {
        child.markReady();
      }
    });
    return child;
  }

  let preloadPath: string;
  try {
    preloadPath = options.preloadPath ?? preloadLibraryPath();
  } catch (error) {
    throw new LaunchError('ADDON_UNAVAILABLE', (error as Error).message, program, 'preload');
  }
  const spawned = spawnOrExplain(
    {
      ...baseRequest,
      filters: [filters.stageA.bytes],
      stageB: { filter: filters.stageB.bytes, preloadPath, listener: true },
    },
    program,
  );
  const child = new JailedProcess(spawned, executable, 'A+B');
  child.startWatching();
  if (spawned.stageBFd === undefined) {
    child.failClosed(new LaunchError('STAGE_B_UNCONFIRMED', `${program}: the addon returned no stage-B channel`, program, 'stage-b'));
    return child;
  }
  child.awaitConfirmation(spawned.stageBFd, options.stageBTimeoutMs ?? DEFAULT_STAGE_B_TIMEOUT_MS, (listenerFd) => {
    if (listenerFd === undefined) {
      child.failClosed(new LaunchError('STAGE_B_UNCONFIRMED', `${program}: stage B was confirmed without its listener`, program, 'stage-b'));
      return;
    }
    child.attachListener(listenerFd, context, options.onDenial);
    child.markReady();
  });
  return child;
}
