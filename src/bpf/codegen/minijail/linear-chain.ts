import type { CodeNode } from './nodes.js';
import { rangeTest } from './range-test.js';
import type { SyscallRange } from './ranges.js';

/** Ranges in the order a linear chain is built: by frequency, ascending, stable. The last one is tested first. */
export const chainBuildOrder = (ranges: readonly SyscallRange[]): SyscallRange[] =>
  [...ranges].sort((a, b) => a.frequency - b.frequency);

/** A chain of range tests, the most frequent first; among equal frequencies the highest numbers first. */
export function linearChain(ranges: readonly SyscallRange[], accept: CodeNode, reject: CodeNode): CodeNode {
  let next = reject;
  for (const range of chainBuildOrder(ranges)) next = rangeTest(range, accept, next).node;
  return next;
}
