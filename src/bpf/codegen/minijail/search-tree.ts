/**
 * The reference's default dispatch (policy-language.md §7.3, "BST"): a
 * top-down dynamic program over the sorted ranges that picks, for every span
 * of syscall numbers, the cheaper of a linear chain and a split `JGE cutoff`
 * into two sub-spans. Reproduced with its quirks, since they decide bytes:
 * results are memoized by the span (lo, hi) alone; a linear chain is the
 * first candidate and only a strictly cheaper split replaces it; splits are
 * tried left to right, each at the next range's start before the previous
 * range's end; a range whose span is exactly its own numbers costs nothing.
 */
import { BPF_JGE } from '../../instruction.js';
import { linearChain, linearChainCost } from './linear-chain.js';
import { testNode, type CodeNode } from './nodes.js';
import { rangeTest, rangeTestCost } from './range-test.js';
import type { SyscallRange } from './ranges.js';

/** The reference's initial upper bound, 2^64 - 1: above every syscall number. */
const TOP = 2n ** 64n - 1n;

type Plan =
  | { readonly kind: 'exact'; readonly range: SyscallRange }
  | { readonly kind: 'range-test'; readonly range: SyscallRange }
  | { readonly kind: 'linear'; readonly first: number; readonly end: number }
  | { readonly kind: 'split'; readonly cutoff: number; readonly below: string; readonly above: string };

interface Solution {
  readonly cost: bigint;
  readonly plan: Plan;
}

export function searchTree(ranges: readonly SyscallRange[], accept: CodeNode, reject: CodeNode): CodeNode {
  if (ranges.length === 0) throw new Error('internal error: a dispatch tree over no ranges');
  assertDisjoint(ranges);
  const prefixFrequency = [0n];
  for (const range of ranges) prefixFrequency.push(prefixFrequency[prefixFrequency.length - 1] + BigInt(range.frequency));

  const solutions = new Map<string, Solution>();
  const linearCosts = new Map<string, bigint>();
  const spanKey = (lo: bigint, hi: bigint): string => `${lo}:${hi}`;

  const solve = (first: number, end: number, lo: bigint, hi: bigint): Solution => {
    const key = spanKey(lo, hi);
    const known = solutions.get(key);
    if (known) return known;
    let best: Solution;
    if (end - first === 1) {
      const range = ranges[first];
      best =
        lo === BigInt(range.start) && hi === BigInt(range.end)
          ? { cost: 0n, plan: { kind: 'exact', range } }
          : { cost: BigInt(rangeTestCost(range)) * BigInt(range.frequency), plan: { kind: 'range-test', range } };
    } else {
      const linearKey = `${first}:${end}`;
      let linearCost = linearCosts.get(linearKey);
      if (linearCost === undefined) {
        linearCost = linearChainCost(ranges.slice(first, end));
        linearCosts.set(linearKey, linearCost);
      }
      best = { cost: linearCost, plan: { kind: 'linear', first, end } };
      const spanFrequency = prefixFrequency[end] - prefixFrequency[first];
      for (let split = first + 1; split < end; split++) {
        for (const cutoff of [ranges[split].start, ranges[split - 1].end]) {
          const cut = BigInt(cutoff);
          if (!(lo < cut && cut < hi)) continue;
          const below = solve(first, split, lo, cut);
          const above = solve(split, end, cut, hi);
          const cost = spanFrequency + below.cost + above.cost;
          if (cost < best.cost) best = { cost, plan: { kind: 'split', cutoff, below: spanKey(lo, cut), above: spanKey(cut, hi) } };
        }
      }
    }
    solutions.set(key, best);
    return best;
  };

  const rootKey = spanKey(0n, TOP);
  solve(0, ranges.length, 0n, TOP);

  // Build nodes from the chosen plans; a span's node is built once.
  const built = new Map<string, CodeNode>();
  const build = (key: string): CodeNode => {
    const existing = built.get(key);
    if (existing) return existing;
    const { plan } = solutions.get(key)!;
    let node: CodeNode;
    switch (plan.kind) {
      case 'exact':
        node = plan.range.block ?? accept;
        break;
      case 'range-test':
        node = rangeTest(plan.range, accept, reject).node;
        break;
      case 'linear':
        node = linearChain(ranges.slice(plan.first, plan.end), accept, reject);
        break;
      case 'split':
        node = testNode(null, BPF_JGE, plan.cutoff, build(plan.above), build(plan.below));
        break;
    }
    built.set(key, node);
    return node;
  };
  return build(rootKey);
}

/** Memoizing by span is only sound when no two ranges share a number (the reference asserts, Q17). */
function assertDisjoint(ranges: readonly SyscallRange[]): void {
  for (let index = 1; index < ranges.length; index++) {
    if (ranges[index].start < ranges[index - 1].end) {
      throw new Error(`internal error: overlapping syscall ranges at number ${ranges[index].start}; resolve aliases first`);
    }
  }
}
