/**
 * The launcher's public surface (docs/launcher.md): run a program under its
 * policy, read what was denied. src/index.ts re-exports this.
 */
export {
  spawnJailed,
  DEFAULT_STAGE_B_TIMEOUT_MS,
  JailedProcess,
  type SpawnJailedOptions,
  type JailedExit,
  type JailedProcessEvents,
  type RawFilter,
  type StdioOption,
} from './spawn-jailed.js';
export { LaunchError, type LaunchErrorCode } from './errors.js';
export { formatDenialReport, judgeDeniedCall, type DenialReport, type DenialResponse, type DeniedCall } from './denials.js';
export { decodeSyscallArguments, formatSyscallCall, type DecodedArgument } from './decode-arguments.js';
export { inspectExecutable, readElfInfo, checkExecutableArch, type ExecutableInfo, type ElfInfo, type Linkage } from './elf.js';
export { resolveProgram } from './resolve-program.js';
export { buildLaunchFilters, type LaunchFilters, type LaunchFilter, type LaunchFilterOptions } from './stages.js';
export { unionWithAllows, notifyOnDenial } from './compose.js';
export { launchProloguePath } from './launch-rules.js';
export { nativeAddonAvailable, statusChildFd, stageBChildFds } from './native.js';
