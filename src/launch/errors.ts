/**
 * Why a jailed program could not be started, as data: each error carries the
 * exit status the CLI gives for it (env(1) conventions: 127 not found, 126
 * found but not runnable, 125 the launcher's own failure), a stable code for
 * programs, and the path it concerns.
 */
import { EXIT_LAUNCHER_FAILURE, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from '../cli/exit-codes.js';

export type LaunchErrorCode =
  /** No such file, or not on PATH. */
  | 'NOT_FOUND'
  /** Exists but cannot be executed: directory, no execute permission, unknown format. */
  | 'NOT_EXECUTABLE'
  /** The executable's machine is not the policy's arch. */
  | 'ARCH_MISMATCH'
  /** The kernel refused the filter (or its installation). */
  | 'FILTER_REJECTED'
  /** The preload library did not confirm stage B: the program was killed. */
  | 'STAGE_B_UNCONFIRMED'
  /** The native addon is not built or cannot be loaded. */
  | 'ADDON_UNAVAILABLE'
  /** Anything else that kept the launcher from starting the program. */
  | 'LAUNCH_FAILED';

const EXIT_STATUS: Readonly<Record<LaunchErrorCode, number>> = {
  NOT_FOUND: EXIT_NOT_FOUND,
  NOT_EXECUTABLE: EXIT_NOT_EXECUTABLE,
  ARCH_MISMATCH: EXIT_NOT_EXECUTABLE,
  FILTER_REJECTED: EXIT_LAUNCHER_FAILURE,
  STAGE_B_UNCONFIRMED: EXIT_LAUNCHER_FAILURE,
  ADDON_UNAVAILABLE: EXIT_LAUNCHER_FAILURE,
  LAUNCH_FAILED: EXIT_LAUNCHER_FAILURE,
};

export class LaunchError extends Error {
  /** The CLI's exit status for this failure (read by cli/report-failure.ts). */
  readonly exitCode: number;

  constructor(
    readonly code: LaunchErrorCode,
    message: string,
    /** The program or file the failure concerns. */
    readonly path?: string,
    /** The launch stage that failed, when the native side names one (e.g. "seccomp", "execve"). */
    readonly stage?: string,
    /** errno name from the system, when there is one. */
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'LaunchError';
    this.exitCode = EXIT_STATUS[code];
  }
}
