/**
 * Pass: the whole filter as a decision graph — arch check, syscall-number
 * dispatch with the x32 hardening folded in, and each listed syscall's
 * filter block.
 *
 * Hardening (docs/optimized-layout.md): an arch mismatch returns
 * KILL_PROCESS; on x86_64 the x32 numbers 0x40000000..0xfffffffe are a range
 * of the dispatch tree whose outcome is KILL_PROCESS, so they cost the
 * listed syscalls no extra test on the hot paths. 0xffffffff (-1) keeps its
 * usual outcome because a tracer sets it to skip a syscall.
 */
import { SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS } from '../../../instruction.js';
import type { PolicyIR } from '../../../../policy/ir.js';
import { decidingRules, SKIPPED_SYSCALL_NUMBER } from '../../../../policy/evaluate.js';
import { AUDIT_ARCH_X86_64, X32_SYSCALL_BIT } from '../../../audit-arch.js';
import type { DecisionGraph, NodeId } from '../graph.js';
import { buildFilterBlock } from './filter-blocks.js';
import { buildRangeTree, type RangeCase } from './range-tree.js';

export interface DispatchOptions {
  readonly strategy?: 'bst' | 'linear';
}

/**
 * How much a plainly allowed syscall's frequency counts in the dispatch
 * tree's cost. On Linux 5.11+ the kernel's action cache allows such a call
 * without running the filter at all, so the tree should favour the syscalls
 * the filter really runs (argument filters, errno returns); on older
 * kernels every call runs it. Half weight serves both: measured on the
 * corpus (docs/optimized-layout.md), smaller weights gain little more with
 * the cache and lose most of the gain without it.
 */
export const CACHED_WEIGHT = 1 / 2;

/** The dispatch tree's cases: hardening first (it wins), then each listed syscall. */
export function dispatchCases(graph: DecisionGraph, ir: PolicyIR): RangeCase[] {
  const cases: RangeCase[] = [];
  if (ir.arch.auditArch >>> 0 === AUDIT_ARCH_X86_64) {
    cases.push({ start: X32_SYSCALL_BIT, end: SKIPPED_SYSCALL_NUMBER - 1, outcome: graph.returnNode(SECCOMP_RET_KILL_PROCESS), weight: 0 });
  }
  const allow = graph.returnNode(SECCOMP_RET_ALLOW);
  // Aliased numbers: only the rule the Minijail layout lets decide is dispatched to.
  for (const [number, rule] of decidingRules(ir)) {
    const outcome = buildFilterBlock(graph, rule, ir.arch.bits, ir.denylist);
    const frequency = Math.max(0, rule.frequency);
    const weight = outcome === allow ? frequency * CACHED_WEIGHT : frequency;
    cases.push({ start: number, end: number, outcome, weight });
  }
  return cases;
}

/** Pass entry point: the root of the whole program's decision graph. */
export function buildProgramGraph(graph: DecisionGraph, ir: PolicyIR, options: DispatchOptions = {}): NodeId {
  const kill = graph.returnNode(SECCOMP_RET_KILL_PROCESS);
  // Unlisted syscalls: the default action, or ALLOW in denylist mode (the reference's reject action).
  const unlisted = graph.returnNode(ir.denylist ? SECCOMP_RET_ALLOW : ir.defaultAction.value);
  const dispatch = buildRangeTree(graph, {
    word: SECCOMP_DATA_NR,
    cases: dispatchCases(graph, ir),
    background: unlisted,
    strategy: options.strategy ?? 'bst',
  });
  return graph.testNode(SECCOMP_DATA_ARCH, 'jeq', ir.arch.auditArch >>> 0, dispatch, kill);
}
