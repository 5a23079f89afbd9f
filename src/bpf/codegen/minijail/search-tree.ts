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
import { BPF_JGE, BPF_MAXINSNS } from '../../instruction.js';
import { ProgramTooLongError } from '../../program-length.js';
import { DispatchTooLargeError, MINIJAIL_BST_RANGE_LIMIT } from './dispatch-too-large.js';
import { linearChain } from './linear-chain.js';
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
 * provably stay below 2^53 (solveSpansWithNumbers), bigints for policies
 * with huge frequencies (solveSpans, generic over this arithmetic).
 */
interface CostArithmetic<Cost> {
  readonly of: (value: number) => Cost;
  readonly add: (a: Cost, b: Cost) => Cost;
  readonly subtract: (a: Cost, b: Cost) => Cost;
  readonly multiply: (a: Cost, b: Cost) => Cost;
}
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

  // Every lo and hi the search can see is 0, TOP or a range boundary; the
  // memo is a flat table over their positions in this sorted list (the
  // reference's dict keyed by (lo, hi), without hashing on the hot path).
  const bounds = [...new Set([0, TOP, ...ranges.map((range) => range.start), ...ranges.map((range) => range.end)])].sort((a, b) => a - b);
  const boundIndex = new Map(bounds.map((value, index) => [value, index]));
  const startBound = ranges.map((range) => boundIndex.get(range.start)!);
  const endBound = ranges.map((range) => boundIndex.get(range.end)!);
  const boundCount = bounds.length;
  // Memo by (lo, hi) only, as the reference.
  const solutions: (Solution | undefined)[] = new Array(boundCount * boundCount);
  const linearCosts: (Cost | undefined)[] = new Array((ranges.length + 1) * (ranges.length + 1));

  // Linear chain costs for every [first, end), built per `first` by
  // inserting each next range into the chain's build order (ascending
  // frequency, stable: a new range goes after its equals), instead of
  // sorting every slice.
  const linearCost = (first: number, end: number): Cost => {
    const key = first * (ranges.length + 1) + end;
    let cost = linearCosts[key];
    if (cost === undefined) {
      const order: SyscallRange[] = [];
      for (let next = first; next < ranges.length; next++) {
        const range = ranges[next];
        let position = order.length;
        while (position > 0 && order[position - 1].frequency > range.frequency) position--;
        order.splice(position, 0, range);
        if (order.length < 2) continue;
        let total = of(0);
        let accumulated = of(0);
        for (const item of order) {
          accumulated = add(accumulated, of(item.frequency));
          total = add(total, multiply(accumulated, of(rangeTestCost(item))));
        }
        linearCosts[first * (ranges.length + 1) + next + 1] = total;
      }
      cost = linearCosts[key]!;
    }
    return cost;
  };

  /** lo and hi are positions in `bounds`, so lo < cutoff < hi compares positions. */
  const solve = (first: number, end: number, lo: number, hi: number): Solution => {
    const key = lo * boundCount + hi;
    const known = solutions[key];
    if (known) return known;
    let best: Solution;
    if (end - first === 1) {
      const range = ranges[first];
      best =
        lo === startBound[first] && hi === endBound[first]
          ? { cost: of(0), plan: { kind: 'exact', range } }
          : { cost: multiply(of(rangeTestCost(range)), of(range.frequency)), plan: { kind: 'range-test', range } };
    } else {
      // The best split so far lives in locals; a Solution is made once, at the end.
      let bestCost = linearCost(first, end);
      let bestCutoff = -1;
      let bestBelow: Solution | undefined;
      let bestAbove: Solution | undefined;
      const spanFrequency = subtract(prefixFrequency[end], prefixFrequency[first]);
      for (let split = first + 1; split < end; split++) {
        // Two candidates in the reference's order: the next range's start, then the previous range's end.
        for (let candidate = 0; candidate < 2; candidate++) {
          const cutoff = candidate === 0 ? startBound[split] : endBound[split - 1];
          if (!(lo < cutoff && cutoff < hi)) continue;
          // The memo is read here first: most sub-spans are known, and a call per lookup dominates the run time.
          const below = solutions[lo * boundCount + cutoff] ?? solve(first, split, lo, cutoff);
          const above = solutions[cutoff * boundCount + hi] ?? solve(split, end, cutoff, hi);
          const cost = add(add(spanFrequency, below.cost as Cost), above.cost as Cost);
          if (cost < bestCost) {
            bestCost = cost;
            bestCutoff = cutoff;
            bestBelow = below;
            bestAbove = above;
          }
        }
      }
      best =
        bestBelow === undefined || bestAbove === undefined
          ? { cost: bestCost, plan: { kind: 'linear', first, end } }
          : { cost: bestCost, plan: { kind: 'split', cutoff: bounds[bestCutoff], below: bestBelow, above: bestAbove } };
    }
    solutions[key] = best;
    return best;
  };
  return solve(0, ranges.length, 0, boundCount - 1);
}

/**
 * solveSpans for costs that fit a double exactly (every corpus policy): the
 * same search, memo and tie rules, with costs and choices in typed arrays
 * indexed by (lo, hi) positions instead of Solution objects, which the
 * search would create by the hundred thousand. The result is turned back
 * into Solution objects for the tree builder.
 */
function solveSpansWithNumbers(ranges: readonly SyscallRange[]): Solution {
  const count = ranges.length;
  const prefixFrequency = new Float64Array(count + 1);
  ranges.forEach((range, index) => (prefixFrequency[index + 1] = prefixFrequency[index] + range.frequency));
  const bounds = [...new Set([0, TOP, ...ranges.map((range) => range.start), ...ranges.map((range) => range.end)])].sort((a, b) => a - b);
  const boundIndex = new Map(bounds.map((value, index) => [value, index]));
  const startBound = Int32Array.from(ranges, (range) => boundIndex.get(range.start)!);
  const endBound = Int32Array.from(ranges, (range) => boundIndex.get(range.end)!);
  const boundCount = bounds.length;

  const EXACT = -1;
  const RANGE_TEST = -2;
  const LINEAR = -3;
  /** NaN: not solved yet. */
  const cost = new Float64Array(boundCount * boundCount).fill(Number.NaN);
  /** EXACT, RANGE_TEST, LINEAR, or the cutoff's bound position for a split. */
  const choice = new Int32Array(boundCount * boundCount);
  const firstOf = new Int32Array(boundCount * boundCount);
  const endOf = new Int32Array(boundCount * boundCount);

  const linearCosts = new Float64Array((count + 1) * (count + 1)).fill(Number.NaN);
  const linearCost = (first: number, end: number): number => {
    if (Number.isNaN(linearCosts[first * (count + 1) + end])) {
      // Every chain starting at `first`, by inserting each next range into
      // the build order (ascending frequency; a new range goes after its equals).
      const order: SyscallRange[] = [];
      for (let next = first; next < count; next++) {
        const range = ranges[next];
        let position = order.length;
        while (position > 0 && order[position - 1].frequency > range.frequency) position--;
        order.splice(position, 0, range);
        let total = 0;
        let accumulated = 0;
        for (const item of order) {
          accumulated += item.frequency;
          total += accumulated * rangeTestCost(item);
        }
        linearCosts[first * (count + 1) + next + 1] = total;
      }
    }
    return linearCosts[first * (count + 1) + end];
  };

  const solve = (first: number, end: number, lo: number, hi: number): number => {
    const key = lo * boundCount + hi;
    const known = cost[key];
    if (known === known) return known;
    firstOf[key] = first;
    endOf[key] = end;
    if (end - first === 1) {
      const range = ranges[first];
      const exact = lo === startBound[first] && hi === endBound[first];
      choice[key] = exact ? EXACT : RANGE_TEST;
      return (cost[key] = exact ? 0 : rangeTestCost(range) * range.frequency);
    }
    let bestCost = linearCost(first, end);
    let bestChoice = LINEAR;
    const spanFrequency = prefixFrequency[end] - prefixFrequency[first];
    for (let split = first + 1; split < end; split++) {
      // Two candidates in the reference's order: the next range's start, then the previous range's end.
      for (let candidate = 0; candidate < 2; candidate++) {
        const cutoff = candidate === 0 ? startBound[split] : endBound[split - 1];
        if (!(lo < cutoff && cutoff < hi)) continue;
        let below = cost[lo * boundCount + cutoff];
        if (below !== below) below = solve(first, split, lo, cutoff);
        let above = cost[cutoff * boundCount + hi];
        if (above !== above) above = solve(split, end, cutoff, hi);
        const candidateCost = spanFrequency + below + above;
        if (candidateCost < bestCost) {
          bestCost = candidateCost;
          bestChoice = cutoff;
        }
      }
    }
    choice[key] = bestChoice;
    return (cost[key] = bestCost);
  };
  solve(0, count, 0, boundCount - 1);

  const solutions = new Map<number, Solution>();
  const solutionAt = (lo: number, hi: number): Solution => {
    const key = lo * boundCount + hi;
    let solution = solutions.get(key);
    if (solution === undefined) {
      const chosen = choice[key];
      const range = ranges[firstOf[key]];
      const plan: Plan =
        chosen === EXACT
          ? { kind: 'exact', range }
          : chosen === RANGE_TEST
            ? { kind: 'range-test', range }
            : chosen === LINEAR
              ? { kind: 'linear', first: firstOf[key], end: endOf[key] }
              : { kind: 'split', cutoff: bounds[chosen], below: solutionAt(lo, chosen), above: solutionAt(chosen, hi) };
      solution = { cost: cost[key], plan };
      solutions.set(key, solution);
    }
    return solution;
  };
  return solutionAt(0, boundCount - 1);
}

/**
 * The fewest instructions a Minijail-layout program with a BST dispatch over
 * `ranges` ranges can have. The tree's leaves are groups of ranges: a
 * group of k ranges tested as a chain costs at least k comparisons, a single
 * range at least one unless its bounds are already known ("exact", none),
 * and g groups need g - 1 splits; so with e exact groups the tree has at
 * least (g - 1) + (ranges - e) >= ranges - 1 comparisons. The arch check
 * (load, compare, kill return) and the load of nr come on top.
 */
export const minimumBstProgramLength = (ranges: number): number => Math.max(0, ranges - 1) + 4;

/**
 * Refuses, before any planning, a dispatch that cannot fit the kernel's
 * limit (ProgramTooLongError with the lower bound) or that would take the
 * reference's cubic search too long (DispatchTooLargeError).
 */
function refuseHopelessDispatch(ranges: number): void {
  const minimum = minimumBstProgramLength(ranges);
  if (minimum > BPF_MAXINSNS) throw new ProgramTooLongError(minimum, BPF_MAXINSNS, undefined, true);
  if (ranges > MINIJAIL_BST_RANGE_LIMIT) throw new DispatchTooLargeError(ranges);
}

export function searchTree(ranges: readonly SyscallRange[], accept: CodeNode, reject: CodeNode): CodeNode {
  if (ranges.length === 0) throw new Error('internal error: a dispatch tree over no ranges');
  assertDisjoint(ranges);
  refuseHopelessDispatch(ranges.length);
  // Every cost is at most (ranges + 1) comparisons per unit of total frequency, times 2.
  const totalFrequency = ranges.reduce((sum, range) => sum + range.frequency, 0);
  const costsFitNumbers = totalFrequency * 2 * (ranges.length + 1) <= Number.MAX_SAFE_INTEGER;
  const root = costsFitNumbers ? solveSpansWithNumbers(ranges) : solveSpans(ranges, BIGINT_COSTS);

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
