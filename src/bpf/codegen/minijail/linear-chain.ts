import type { CodeNode } from './nodes.js';
import { rangeTest, rangeTestCost } from './range-test.js';
import type { SyscallRange } from './ranges.js';

/** Ranges in the order a linear chain is built: by frequency, ascending, stable. The last one is tested first. */
export const chainBuildOrder = (ranges: readonly SyscallRange[]): SyscallRange[] =>
  [...ranges].sort((a, b) => a.frequency - b.frequency);

/**
 * The chain's cost as the reference counts it: for each range in build
 * order, the running total of frequencies times its test's cost.
 */
export function linearChainCost(ranges: readonly SyscallRange[]): bigint {
  let cost = 0n;
  let accumulated = 0n;
  for (const range of chainBuildOrder(ranges)) {
    accumulated += BigInt(range.frequency);
    cost += accumulated * BigInt(rangeTestCost(range));
  }
  return cost;
}

/** A chain of range tests, the most frequent first; among equal frequencies the highest numbers first. */
export function linearChain(ranges: readonly SyscallRange[], accept: CodeNode, reject: CodeNode): CodeNode {
  let next = reject;
  for (const range of chainBuildOrder(ranges)) next = rangeTest(range, accept, next).node;
  return next;
}
