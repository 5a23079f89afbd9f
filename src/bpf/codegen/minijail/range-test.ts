import { BPF_JEQ, BPF_JGE } from '../../instruction.js';
import { testNode, type CodeNode } from './nodes.js';
import type { SyscallRange } from './ranges.js';

export interface RangeTest {
  /** Comparisons on the way to a hit: 1 or 2. */
  readonly cost: number;
  readonly node: CodeNode;
}

/**
 * The syscall-number test for one range (policy-language.md §7.3): its
 * block (or `accept`) when nr is in the range, `reject` otherwise. Like the
 * reference, it knows nothing of the bounds already established by the tree
 * around it, except that 0 is the lowest number.
 */
/** How many comparisons rangeTest spends on a hit; it does not depend on the targets. */
export const rangeTestCost = (range: SyscallRange): number => (range.end - range.start === 1 || range.start === 0 ? 1 : 2);

export function rangeTest(range: SyscallRange, accept: CodeNode, reject: CodeNode): RangeTest {
  const action = range.block ?? accept;
  if (range.end - range.start === 1) return { cost: 1, node: testNode(null, BPF_JEQ, range.start, action, reject) };
  const belowEnd = testNode(null, BPF_JGE, range.end, reject, action);
  if (range.start === 0) return { cost: 1, node: belowEnd };
  return { cost: 2, node: testNode(null, BPF_JGE, range.start, belowEnd, reject) };
}
