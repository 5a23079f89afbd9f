/**
 * The filters one launch installs, encoded and ready for the addon:
 *
 *   static executable:  stage A (listener)          = notify(policy ∪ static prologue ∪ listener hand-over)
 *   dynamic executable: stage A (no listener)       = notify(policy ∪ dynamic prologue ∪ preload calls)
 *                       stage B (listener, preload) = notify(policy ∪ preload's post-install calls)
 *
 * Why the listener moves to stage B for dynamic programs: the kernel allows
 * one listener per filter chain, and with stacked filters the most
 * restrictive answer wins, ties going to the newest filter. Stage B must
 * deny what stage A let through for the loader (openat, PROT_EXEC mmap), so
 * stage B has to be the filter that notifies. Stage A then answers its own
 * denials with USER_NOTIF too: without a listener that is ENOSYS while only
 * stage A is in force (the loader's short run), and once stage B is in, the
 * tie goes to stage B and its listener — a kill in stage A would win over
 * stage B's notification and the report would be lost.
 */
import type { ArchTable } from '../arch/types.js';
import { checkProgramLength, encodeProgram, verifyProgram, type Instruction } from '../bpf/index.js';
import { generateProgram, type CodeLayout } from '../compile.js';
import { generateProgramWithCache, type CompileCacheOptions } from '../devices/compile-cache.js';
import type { PolicyIR } from '../policy/ir.js';
import { notifyOnDenial, unionWithAllows, type NotifyOptions } from './compose.js';
import type { Linkage } from './elf.js';
import { withHostLaunchCalls } from './host-arch-prefix.js';
import {
  loadLaunchPrologue,
  parseLaunchRules,
  stageAPreloadRulesText,
  stageBPreloadRulesText,
  staticListenerRulesText,
  type StageBChannelFds,
} from './launch-rules.js';

export interface LaunchFilterOptions {
  readonly linkage: Linkage;
  readonly layout?: CodeLayout;
  readonly strategy?: 'bst' | 'linear';
  /** Dynamic launches: the child's fd numbers of the stage-B channel. */
  readonly channelFds?: StageBChannelFds;
  /** Static launches: the child's fd number of the addon's status socket (statusChildFd in native.ts). */
  readonly statusFd?: number;
  /** Another prologue file (tests, experiments) instead of the shipped one. */
  readonly prologueFile?: string;
  readonly notify?: NotifyOptions;
  /** Reuse stage programs generated before for the same IR (the run mode's compile cache); off when absent. */
  readonly programCache?: CompileCacheOptions;
  /**
   * The launcher's own arch. When the program's arch differs (arm on an
   * aarch64 host), stage A lets the child's host-arch calls up to execve
   * through (host-arch-prefix.ts).
   */
  readonly hostArch?: ArchTable;
}

export interface LaunchFilter {
  readonly ir: PolicyIR;
  readonly program: readonly Instruction[];
  readonly bytes: Uint8Array;
}

export interface LaunchFilters {
  readonly stageA: LaunchFilter;
  /** Present for dynamic executables. */
  readonly stageB?: LaunchFilter;
  /** Which stage holds the USER_NOTIF listener. */
  readonly listenerStage: 'A' | 'B';
}

function finish(ir: PolicyIR, options: LaunchFilterOptions, stage: 'A' | 'B'): LaunchFilter {
  const layout = options.layout ?? 'optimized';
  const strategy = options.strategy ?? 'bst';
  let program =
    options.programCache === undefined
      ? generateProgram(ir, layout, strategy)
      : generateProgramWithCache(ir, layout, strategy, generateProgram, options.programCache).program;
  if (stage === 'A' && options.hostArch !== undefined && options.hostArch.auditArch >>> 0 !== ir.arch.auditArch >>> 0) {
    program = withHostLaunchCalls(program, ir.arch, options.hostArch);
    checkProgramLength(program);
    verifyProgram(program);
  }
  return { ir, program, bytes: encodeProgram(program) };
}

function union(policy: PolicyIR, ...additions: PolicyIR[]): PolicyIR {
  return additions.reduce((combined, addition) => unionWithAllows(combined, addition), policy);
}

/** Builds stage A (and B) for a policy. Throws ProgramTooLongError when the union no longer fits the kernel's limit. */
export function buildLaunchFilters(policy: PolicyIR, options: LaunchFilterOptions): LaunchFilters {
  const arch: ArchTable = policy.arch;
  const prologue = loadLaunchPrologue(arch, options.linkage, options.prologueFile);
  if (options.linkage === 'static') {
    if (options.statusFd === undefined) throw new Error('buildLaunchFilters: a static launch needs the status socket fd');
    const stageA = union(policy, prologue, parseLaunchRules(staticListenerRulesText(options.statusFd), arch));
    return { stageA: finish(notifyOnDenial(stageA, options.notify), options, 'A'), listenerStage: 'A' };
  }
  const fds = options.channelFds;
  if (fds === undefined) throw new Error('buildLaunchFilters: a dynamic launch needs the stage-B channel fds');
  const stageA = union(policy, prologue, parseLaunchRules(stageAPreloadRulesText(arch, fds), arch));
  const stageB = union(policy, parseLaunchRules(stageBPreloadRulesText(fds), arch));
  return {
    stageA: finish(notifyOnDenial(stageA, options.notify), options, 'A'),
    stageB: finish(notifyOnDenial(stageB, options.notify), options, 'B'),
    listenerStage: 'B',
  };
}

const filterCache = new WeakMap<PolicyIR, Map<string, LaunchFilters>>();

/**
 * buildLaunchFilters, remembered per policy IR and options: a launcher that
 * starts the same compiled policy many times (a device restarted, a test
 * loop) builds its stages once. A policy file given by path is parsed anew
 * on every spawn, so edits are always seen.
 */
export function cachedLaunchFilters(policy: PolicyIR, options: LaunchFilterOptions): LaunchFilters {
  let perPolicy = filterCache.get(policy);
  if (perPolicy === undefined) {
    perPolicy = new Map();
    filterCache.set(policy, perPolicy);
  }
  const key = JSON.stringify([
    options.linkage,
    options.layout ?? 'optimized',
    options.strategy ?? 'bst',
    options.channelFds ?? null,
    options.statusFd ?? null,
    options.prologueFile ?? null,
    options.notify?.explicitErrno === true,
    options.hostArch?.name ?? null,
  ]);
  let filters = perPolicy.get(key);
  if (filters === undefined) {
    filters = buildLaunchFilters(policy, options);
    perPolicy.set(key, filters);
  }
  return filters;
}
