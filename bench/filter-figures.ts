/**
 * Per-program figures for the compiler benchmark: length, what the kernel's
 * action cache allows without running the filter, and the mean number of
 * instructions executed on the policy's allowed calls.
 */
import type { Instruction } from '../src/bpf/instruction.js';
import { cachedSyscalls } from '../src/bpf/kernel-cache.js';
import { simulate } from '../src/bpf/simulate.js';
import type { PolicyIR } from '../src/policy/ir.js';
import type { AllowedCall } from './allowed-calls.js';

export interface FilterFigures {
  readonly length: number;
  /** Syscall numbers of the arch's table that the kernel allows from its cache. */
  readonly cached: number;
  /** Plainly allowed syscalls the cache misses (should be none). */
  readonly uncachedArgumentFree: string[];
  /** Mean instructions the filter executes per allowed call, weighted by frequency. */
  readonly meanFilter: number;
  /**
   * The same with the action cache of Linux 5.11+: a cached call runs no
   * filter instruction at all, so it counts 0.
   */
  readonly meanWithCache: number;
}

export function filterFigures(ir: PolicyIR, program: readonly Instruction[], calls: readonly AllowedCall[]): FilterFigures {
  const table = [...ir.arch.syscalls.values()];
  const cached = new Set(cachedSyscalls(program, ir.arch.auditArch, table));
  let weight = 0;
  let filterSum = 0;
  let withCacheSum = 0;
  const uncachedArgumentFree = new Set<string>();
  for (const call of calls) {
    const executed = simulate(program, call.data).instructionsExecuted;
    const isCached = call.argumentFree && cached.has(call.data.nr);
    if (call.argumentFree && !isCached) uncachedArgumentFree.add(call.rule.name);
    weight += call.weight;
    filterSum += call.weight * executed;
    withCacheSum += isCached ? 0 : call.weight * executed;
  }
  return {
    length: program.length,
    cached: cached.size,
    uncachedArgumentFree: [...uncachedArgumentFree],
    meanFilter: weight === 0 ? 0 : filterSum / weight,
    meanWithCache: weight === 0 ? 0 : withCacheSum / weight,
  };
}
