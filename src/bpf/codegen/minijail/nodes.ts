/**
 * The graph the Minijail layout is built from before it is flattened. Node
 * identity matters: a node reached along several paths is emitted once and
 * shared, exactly as the reference shares its Python block objects.
 */
import type { Instruction } from '../../instruction.js';

/** A `RET value`. One node per distinct action object of the policy. */
export interface ReturnNode {
  readonly kind: 'return';
  readonly value: number;
}

/** A syscall's filter block, already flattened on its own: self-contained instructions. */
export interface BlockNode {
  readonly kind: 'block';
  readonly instructions: readonly Instruction[];
}

/**
 * A conditional jump on a 32-bit constant, optionally preceded by a load of
 * a seccomp_data word (argument tests load; syscall-number tests use the
 * `nr` already in the accumulator).
 */
export interface TestNode {
  readonly kind: 'test';
  /** seccomp_data offset loaded first, or null for none. */
  readonly load: number | null;
  /** BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET. */
  readonly operation: number;
  readonly value: number;
  readonly whenTrue: CodeNode;
  readonly whenFalse: CodeNode;
}

export type CodeNode = ReturnNode | BlockNode | TestNode;

export const returnNode = (value: number): ReturnNode => ({ kind: 'return', value: value >>> 0 });
export const blockNode = (instructions: readonly Instruction[]): BlockNode => ({ kind: 'block', instructions });
export const testNode = (
  load: number | null,
  operation: number,
  value: number,
  whenTrue: CodeNode,
  whenFalse: CodeNode,
): TestNode => ({ kind: 'test', load, operation, value: value >>> 0, whenTrue, whenFalse });

/**
 * Visits every node reachable from `root` once, children before parents and
 * the true branch before the false branch (the reference's visiting order).
 * Iterative, so that very long filters cannot exhaust the call stack.
 */
export function visitPostOrder(root: CodeNode, visit: (node: CodeNode) => void): void {
  const seen = new Set<CodeNode>();
  const stack: { node: CodeNode; childrenDone: boolean }[] = [{ node: root, childrenDone: false }];
  while (stack.length > 0) {
    const { node, childrenDone } = stack.pop()!;
    if (childrenDone) {
      visit(node);
      continue;
    }
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push({ node, childrenDone: true });
    if (node.kind === 'test') {
      stack.push({ node: node.whenFalse, childrenDone: false });
      stack.push({ node: node.whenTrue, childrenDone: false });
    }
  }
}
