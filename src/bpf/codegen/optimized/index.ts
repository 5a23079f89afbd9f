/**
 * The optimized layout (the default): the Minijail layout's decisions, with
 * the documented hardening, in fewer executed instructions and no more
 * instructions overall. See docs/optimized-layout.md.
 *
 * Pipeline, one pass per file under passes/:
 *   syscall-dispatch (arch check, number dispatch via range-tree, each
 *   syscall's filter-blocks) → prune-implied-tests → emit.
 */
import type { PolicyIR } from '../../../policy/ir.js';
import type { Instruction } from '../../instruction.js';
import { checkProgramLength } from '../../program-length.js';
import { DecisionGraph, type NodeId } from './graph.js';
import { emitProgram } from './passes/emit.js';
import { pruneImpliedTests } from './passes/prune-implied-tests.js';
import { buildProgramGraph } from './passes/syscall-dispatch.js';

export interface OptimizedLayoutOptions {
  /** Syscall-number dispatch: 'bst' (default) the cost-optimal tree, 'linear' one chain, the most weight per test first (switches on arguments always use the tree). */
  readonly strategy?: 'bst' | 'linear';
}

/** The decision graph of the whole filter, after every graph pass. */
export function buildOptimizedGraph(ir: PolicyIR, options: OptimizedLayoutOptions = {}): { graph: DecisionGraph; root: NodeId } {
  const graph = new DecisionGraph();
  const root = buildProgramGraph(graph, ir, options);
  return pruneImpliedTests(graph, root);
}

/**
 * The filter program. Throws ProgramTooLongError (src/bpf/program-length.ts)
 * when it would exceed the kernel's 4096 instructions.
 */
export function generateOptimizedProgram(ir: PolicyIR, options: OptimizedLayoutOptions = {}): Instruction[] {
  const { graph, root } = buildOptimizedGraph(ir, options);
  return checkProgramLength(emitProgram(graph, root));
}
