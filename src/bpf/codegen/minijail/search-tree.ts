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
import { chainBuildOrder, linearChain } from './linear-chain.js';
import { testNode, type CodeNode } from './nodes.js';
import { rangeTest, rangeTestCost } from './range-test.js';
import type { SyscallRange } from './ranges.js';

/**
 * The reference's initial upper bound is 2^64 - 1, above every syscall
 * number; only comparisons with it matter, so any larger number serves.
 */
const TOP = Number.POSITIVE_INFINITY;

type Plan =
  | { readonly kind: 'exact'; readonly range: SyscallRange }
  | { readonly kind: 'range-test'; readonly range: SyscallRange }
  | { readonly kind: 'linear'; readonly first: number; readonly end: number }
  | { readonly kind: 'split'; readonly cutoff: number; readonly below: Solution; readonly above: Solution };

/**
 * Costs are exact integers, as in the reference: plain numbers while they
 * provably stay below 2^53, bigints for policies with huge frequencies.
 */
interface CostArithmetic<Cost> {
  readonly of: (value: number) => Cost;
  readonly add: (a: Cost, b: Cost) => Cost;
  readonly subtract: (a: Cost, b: Cost) => Cost;
  readonly multiply: (a: Cost, b: Cost) => Cost;
}
const NUMBER_COSTS: CostArithmetic<number> = { of: (value) => value, add: (a, b) => a + b, subtract: (a, b) => a - b, multiply: (a, b) => a * b };
const BIGINT_COSTS: CostArithmetic<bigint> = {
  of: (value) => BigInt(value),
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
};

interface Solution {
  readonly cost: number | bigint;
  readonly plan: Plan;
  node?: CodeNode;
}

function solveSpans<Cost extends number | bigint>(ranges: readonly SyscallRange[], arithmetic: CostArithmetic<Cost>): Solution {
  const { of, add, subtract, multiply } = arithmetic;
  const prefixFrequency: Cost[] = [of(0)];
  for (const range of ranges) prefixFrequency.push(add(prefixFrequency[prefixFrequency.length - 1], of(range.frequency)));

  // Memo by (lo, hi) only, as the reference: lo -> hi -> solution.
  const solutions = new Map<number, Map<number, Solution>>();
  const linearCosts = new Map<number, Cost>();

  const linearCost = (first: number, end: number): Cost => {
    const key = first * (ranges.length + 1) + end;
    let cost = linearCosts.get(key);
    if (cost === undefined) {
      cost = of(0);
      let accumulated = of(0);
      for (const range of chainBuildOrder(ranges.slice(first, end))) {
        accumulated = add(accumulated, of(range.frequency));
        cost = add(cost, multiply(accumulated, of(rangeTestCost(range))));
      }
      linearCosts.set(key, cost);
    }
    return cost;
  };

  const solve = (first: number, end: number, lo: number, hi: number): Solution => {
    let byHigh = solutions.get(lo);
    if (!byHigh) solutions.set(lo, (byHigh = new Map()));
    const known = byHigh.get(hi);
    if (known) return known;
    let best: Solution;
    if (end - first === 1) {
      const range = ranges[first];
      best =
        lo === range.start && hi === range.end
          ? { cost: of(0), plan: { kind: 'exact', range } }
          : { cost: multiply(of(rangeTestCost(range)), of(range.frequency)), plan: { kind: 'range-test', range } };
    } else {
      best = { cost: linearCost(first, end), plan: { kind: 'linear', first, end } };
      const spanFrequency = subtract(prefixFrequency[end], prefixFrequency[first]);
      for (let split = first + 1; split < end; split++) {
        for (const cutoff of [ranges[split].start, ranges[split - 1].end]) {
          if (!(lo < cutoff && cutoff < hi)) continue;
          const below = solve(first, split, lo, cutoff);
          const above = solve(split, end, cutoff, hi);
          const cost = add(add(spanFrequency, below.cost as Cost), above.cost as Cost);
          if (cost < best.cost) best = { cost, plan: { kind: 'split', cutoff, below, above } };
        }
      }
    }
    byHigh.set(hi, best);
    return best;
  };
  return solve(0, ranges.length, 0, TOP);
}

export function searchTree(ranges: readonly SyscallRange[], accept: CodeNode, reject: CodeNode): CodeNode {
  if (ranges.length === 0) throw new Error('internal error: a dispatch tree over no ranges');
  assertDisjoint(ranges);
  // Every cost is at most (ranges + 1) comparisons per unit of total frequency, times 2.
  const totalFrequency = ranges.reduce((sum, range) => sum + range.frequency, 0);
  const costsFitNumbers = totalFrequency * 2 * (ranges.length + 1) <= Number.MAX_SAFE_INTEGER;
  const root = costsFitNumbers ? solveSpans(ranges, NUMBER_COSTS) : solveSpans(ranges, BIGINT_COSTS);

  const build = (solution: Solution): CodeNode => {
    if (solution.node) return solution.node;
    const { plan } = solution;
    switch (plan.kind) {
      case 'exact':
        solution.node = plan.range.block ?? accept;
        break;
      case 'range-test':
        solution.node = rangeTest(plan.range, accept, reject).node;
        break;
      case 'linear':
        solution.node = linearChain(ranges.slice(plan.first, plan.end), accept, reject);
        break;
      case 'split':
        solution.node = testNode(null, BPF_JGE, plan.cutoff, build(plan.above), build(plan.below));
        break;
    }
    return solution.node;
  };
  return build(root);
}

/** Memoizing by span is only sound when no two ranges share a number (the reference asserts, Q17). */
function assertDisjoint(ranges: readonly SyscallRange[]): void {
  for (let index = 1; index < ranges.length; index++) {
    if (ranges[index].start < ranges[index - 1].end) {
      throw new Error(`internal error: overlapping syscall ranges at number ${ranges[index].start}; resolve aliases first`);
    }
  }
}
