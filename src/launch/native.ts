/**
 * The single typed door to the native addon (build/Release/jail_run.node,
 * built from native/ by node-gyp during `npm install`). Everything policy-
 * related stays in TypeScript; the addon only forks, arranges fds, installs
 * already-encoded filters, execs, and watches file descriptors through libuv.
 *
 * The addon is loaded lazily, on the first call that needs it, so modules
 * that only compile policies keep working on a machine where it is not built.
 *
 * The stage-B protocol between the addon, the preload library and the
 * launcher is documented in native/README.md.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How the child's fd at one position is set up. A number is a parent fd to pass on. */
export type StdioSpec = 'inherit' | 'pipe' | 'ignore' | number;

export interface StageBRequest {
  /** The exact policy, encoded (8-byte sock_filter records); installed by the preload before main. */
  filter: Uint8Array;
  /** Absolute path of the preload library (see {@link preloadLibraryPath}); put first in LD_PRELOAD. */
  preloadPath: string;
  /**
   * Install stage B with SECCOMP_FILTER_FLAG_NEW_LISTENER and send the listener
   * to the launcher with the confirmation. Stage A must then have no listener
   * (the kernel allows one listener per filter chain: EBUSY).
   */
  listener: boolean;
}

export interface NativeSpawnRequest {
  /** Path given to execve as is: no PATH search. */
  file: string;
  /** argv[0] included. */
  argv: string[];
  /** 'NAME=value' strings, passed as they are (the addon adds the stage-B variables itself). */
  envp: string[];
  cwd?: string;
  /**
   * Child fd i gets stdio[i]: 'inherit' = the launcher's own fd i, 'pipe' = a
   * new pipe (the child reads position 0, writes the others), 'ignore' =
   * /dev/null, a number = that launcher fd. At least 3 entries (0, 1, 2); more
   * entries pass extra fds at positions 3, 4, ... Every fd not listed is
   * closed in the child.
   */
  stdio: StdioSpec[];
  /** Stage A filters, installed in order just before execve. May be empty. */
  filters: Uint8Array[];
  /** Install filters[i] with SECCOMP_FILTER_FLAG_NEW_LISTENER; the listener comes back as listenerFd. */
  listenerFilterIndex?: number;
  /** PR_SET_PDEATHSIG: the signal the child gets when the launcher dies (e.g. 9). */
  deathSignal?: number;
  /** Two-stage launch of a dynamic executable: see native/README.md. */
  stageB?: StageBRequest;
}

export interface NativeSpawnResult {
  pid: number;
  /** pidfd of the child (close-on-exec; non-blocking once watched). The caller closes it (fs.closeSync) after the exit is reported. */
  pidfd: number;
  /** For each stdio position: the parent's end of its pipe ('pipe' entries), otherwise null. Close-on-exec, blocking. */
  stdioFds: (number | null)[];
  /** The USER_NOTIF listener of filters[listenerFilterIndex], when requested. Close-on-exec. */
  listenerFd?: number;
  /** The parent's end of the stage-B channel; give it to {@link watchPreloadConfirmation}. */
  stageBFd?: number;
}

/** Where a spawn failed. Parent-side stages happen before fork; the rest are in the child. */
export type SpawnStage =
  | 'arguments' // the request itself is malformed (thrown as TypeError, never SpawnError)
  | 'open-devnull'
  | 'pipe'
  | 'stage-b-channel'
  | 'fork'
  | 'pidfd'
  | 'signals'
  | 'chdir'
  | 'dup2'
  | 'close-fds'
  | 'pdeathsig'
  | 'no-new-privs'
  | 'seccomp'
  | 'send-listener'
  | 'execve'
  | 'report'; // reading the child's status pipe failed

/** A spawn that failed at a known stage with a known errno. Nothing is left running and no fd is leaked. */
export class SpawnError extends Error {
  constructor(
    /** errno name, e.g. 'ENOENT' */
    readonly code: string,
    readonly errno: number,
    readonly stage: SpawnStage,
    /** The program path (or the cwd for stage 'chdir'). */
    readonly path: string,
    /** For stage 'seccomp': which stage-A filter the kernel refused. */
    readonly filterIndex?: number,
  ) {
    super(describeSpawnFailure(code, stage, path, filterIndex));
    this.name = 'SpawnError';
  }
}

function describeSpawnFailure(code: string, stage: SpawnStage, path: string, filterIndex?: number): string {
  const filter = filterIndex === undefined ? '' : ` (filter ${filterIndex})`;
  return `cannot launch ${path}: ${stage}${filter} failed with ${code}`;
}

/** The program's end: exit code, or the number of the signal that killed it. */
export type ExitCallback = (code: number | null, signal: number | null) => void;

/** One SECCOMP_IOCTL_NOTIF_RECV result. */
export interface SeccompNotification {
  id: bigint;
  /** Thread id of the caller, as the launcher's pid namespace sees it. */
  pid: number;
  nr: number;
  arch: number;
  instructionPointer: bigint;
  /**
   * Six raw 64-bit argument registers. For an int-typed argument only the low
   * 32 bits are defined: e.g. AT_FDCWD can arrive as 0xffffff9c, not sign-extended.
   */
  args: bigint[];
}

export interface NotificationResponse {
  /** Positive errno the syscall fails with (e.g. 1 for EPERM). */
  error?: number;
  /** Return value when error is 0 and continue is false. */
  value?: bigint;
  /** SECCOMP_USER_NOTIF_FLAG_CONTINUE: let the kernel run the syscall. */
  continue?: boolean;
}

export interface NotificationListener {
  /** SECCOMP_IOCTL_NOTIF_SEND. false when the caller is gone (killed, ENOENT); throws on other errors. */
  respond(id: bigint, response: NotificationResponse): boolean;
  /** Stop polling and close the listener fd. Idempotent. */
  close(): void;
}

export type PreloadConfirmation =
  /** Stage B is installed; listenerFd when StageBRequest.listener was set (close-on-exec, now owned by the caller). */
  | { kind: 'confirmed'; listenerFd?: number }
  /**
   * The preload reported a failure and exits with 125 (stage: environment, read-filter,
   * listener-fd, no-new-privs, seccomp, send-confirmation); or the message was malformed
   * (stage 'protocol', EPROTO) or could not be received (stage 'receive').
   */
  | { kind: 'failed'; stage: string; errno: number; code: string }
  /** The channel closed without a message: the preload never ran (static program, LD_PRELOAD ignored) or the program died. */
  | { kind: 'closed' };

export interface Watch {
  /** Stop polling and close the watched fd (if still open). Idempotent. */
  close(): void;
}

interface NativeAddon {
  spawn(request: NativeSpawnRequest): NativeSpawnResult;
  watchExit(pidfd: number, callback: ExitCallback): Watch;
  sendSignal(pidfd: number, signal: number): boolean;
  watchNotifications(
    listenerFd: number,
    onNotification: (notification: SeccompNotification) => void,
    onEnd: () => void,
  ): NotificationListener;
  watchPreloadConfirmation(stageBFd: number, callback: (result: PreloadConfirmation) => void): Watch;
}

/** The addon is not built: the message says how to build it. */
export class NativeAddonMissingError extends Error {
  constructor(readonly searched: string[], override readonly cause?: unknown) {
    super(
      `jail-run's native addon is not built (looked for ${searched.join(', ')}). ` +
        'Run `npm install` in the jail-run package (it builds native/ with node-gyp), or `npx node-gyp rebuild`.',
    );
    this.name = 'NativeAddonMissingError';
  }
}

const ADDON_FILE = join('build', 'Release', 'jail_run.node');
const PRELOAD_FILE = join('build', 'Release', 'jail_run_preload.so');

/**
 * The package root holds build/. This file runs from src/launch (tests, tsx)
 * or dist/src/launch (the built package), so walk up instead of guessing.
 */
function candidateRoots(): string[] {
  const roots: string[] = [];
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5; level++) {
    roots.push(directory);
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return roots;
}

function findBuilt(file: string): { found?: string; searched: string[] } {
  const searched = candidateRoots().map((root) => join(root, file));
  return { found: searched.find((path) => existsSync(path)), searched };
}

let addon: NativeAddon | undefined;

function loadAddon(): NativeAddon {
  if (addon) return addon;
  const { found, searched } = findBuilt(ADDON_FILE);
  if (!found) throw new NativeAddonMissingError(searched);
  try {
    addon = createRequire(import.meta.url)(found) as NativeAddon;
  } catch (error) {
    throw new NativeAddonMissingError([found], error);
  }
  return addon;
}

/** True when the addon is built and loads; for tests and `--help` text. */
export function nativeAddonAvailable(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

/** Path of the preload library; throws NativeAddonMissingError when it is not built. */
export function preloadLibraryPath(): string {
  const { found, searched } = findBuilt(PRELOAD_FILE);
  if (!found) throw new NativeAddonMissingError(searched);
  return found;
}

/**
 * The child's fd numbers of the stage-B protocol for a given stdio length:
 * the channel sits right after the stdio entries and the preload's listener
 * (when requested) right after the channel. Stage B must allow exactly the
 * preload's post-install syscalls on these fds (native/README.md).
 */
export function stageBChildFds(stdioCount: number): { channel: number; listener: number } {
  return { channel: stdioCount, listener: stdioCount + 1 };
}

/**
 * The child's fd number of the addon's status socket between fork and execve:
 * right after every fd the program gets (the stdio entries and, for a stage-B
 * launch, the channel). Close-on-exec: the program never has it. Stage A of
 * a static program allows the listener hand-over's sendmsg on this fd only
 * (native/README.md).
 */
export function statusChildFd(stdioCount: number, stageB: boolean): number {
  return stdioCount + (stageB ? 1 : 0);
}

interface RawSpawnFailure {
  code?: unknown;
  errno?: unknown;
  stage?: unknown;
  path?: unknown;
  filterIndex?: unknown;
}

/**
 * Fork, arrange fds, install the stage-A filters and execve. Throws SpawnError
 * (with the stage and errno) when any step fails, after reaping the child and
 * closing every fd it made; TypeError for a malformed request.
 */
export function spawnNative(request: NativeSpawnRequest): NativeSpawnResult {
  const native = loadAddon();
  try {
    return native.spawn(request);
  } catch (error) {
    const raw = error as RawSpawnFailure;
    if (error instanceof Error && typeof raw.stage === 'string' && typeof raw.errno === 'number') {
      throw new SpawnError(
        String(raw.code),
        raw.errno,
        raw.stage as SpawnStage,
        typeof raw.path === 'string' ? raw.path : request.file,
        typeof raw.filterIndex === 'number' ? raw.filterIndex : undefined,
      );
    }
    throw error;
  }
}

/**
 * Report the exit of a child spawned by spawnNative: a libuv poll on the
 * pidfd, then waitid(P_PIDFD) reaps it. Keeps the event loop alive until the
 * exit is reported. Does not close the pidfd (the caller may still hold it for
 * sendSignal); `close()` stops watching without reaping.
 */
export function watchExit(pidfd: number, callback: ExitCallback): Watch {
  return loadAddon().watchExit(pidfd, callback);
}

/** pidfd_send_signal: false when the process has already exited. */
export function sendSignal(pidfd: number, signal: number): boolean {
  return loadAddon().sendSignal(pidfd, signal);
}

/**
 * Receive USER_NOTIF notifications from a listener fd (takes ownership of it).
 * onEnd runs once when every process using the filter is gone (the fd is then
 * closed); respond() after that returns false.
 */
export function watchNotifications(
  listenerFd: number,
  onNotification: (notification: SeccompNotification) => void,
  onEnd: () => void,
): NotificationListener {
  return loadAddon().watchNotifications(listenerFd, onNotification, onEnd);
}

/**
 * Wait for the preload's one message on the stage-B channel (takes ownership
 * of stageBFd and closes it after the result). Timeouts are the caller's.
 */
export function watchPreloadConfirmation(stageBFd: number, callback: (result: PreloadConfirmation) => void): Watch {
  return loadAddon().watchPreloadConfirmation(stageBFd, callback);
}
