/**
 * Pass: a cost-optimal search tree over one 32-bit word.
 *
 * Used for the syscall-number dispatch and for "switches" on an argument
 * word (ioctl request lists). The input is a set of disjoint value ranges,
 * each with an outcome (a graph node) and a weight (how often it is hit);
 * every other value of the domain gets the background outcome.
 *
 * The domain is cut into segments: maximal runs of values with the same
 * outcome, so unlisted gaps merge with neighbouring ranges whose outcome is
 * the background. Inside a subtree the bounds are known, so a leaf needs no
 * test at all: the tree only ever separates segments that differ.
 *
 * A dynamic program over intervals of segments picks, for each interval,
 * the cheapest of
 *  - a threshold split `JGE c` between two segments (cost 1 for everything
 *    in the interval, plus the two halves);
 *  - a chain that tests the non-background segments one by one (`JEQ` for a
 *    single value, one test for a range that touches the interval's edge,
 *    two otherwise) in Smith's-rule order (weight per test, descending),
 *    everything else falling through to the background. Its cost is counted
 *    exactly, misses included, so the whole-range chain (the linear
 *    strategy) is a candidate the tree can only beat.
 * On top of the tree, a value much hotter than the rest may be "peeled": one
 * JEQ tested before the tree, which then no longer has to single it out.
 * Cost is (weighted tests executed, tests emitted) compared in that order,
 * so among equally fast trees the smallest wins.
 *
 * The interval program costs time and memory in the square of the segment
 * count, so large lists are handled in two steps: a list that could not fit
 * the kernel's 4096 instructions even as the smallest possible tree is
 * refused at once (ProgramTooLongError), and a list above LARGE_LIST is cut
 * by balanced threshold splits into pieces of at most PIECE_SIZE segments,
 * each planned by the interval program.
 */
import { refuseSearchThatCannotFit } from '../../../program-length.js';
import { WORD_MAX, type DecisionGraph, type NodeId } from '../graph.js';

export interface RangeCase {
  /** First value, inclusive. */
  readonly start: number;
  /** Last value, inclusive. */
  readonly end: number;
  readonly outcome: NodeId;
  /** How often this range is expected to be hit (frequency); 0 allowed. */
  readonly weight: number;
}

export interface RangeTreeRequest {
  /** seccomp_data offset of the word tested. */
  readonly word: number;
  /** Disjoint ranges; sorted or not. Where two overlap the first one given wins. */
  readonly cases: readonly RangeCase[];
  /** The outcome of every value not in a case. */
  readonly background: NodeId;
  /** Values the word can take here (inclusive); default the whole word. */
  readonly domain?: { readonly low: number; readonly high: number };
  /** 'bst' (default): the optimal tree; 'linear': one chain, the most weight per test first. */
  readonly strategy?: 'bst' | 'linear';
}

export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly outcome: NodeId;
  readonly weight: number;
}

/** Islands above this count are not tried as one chain (the split search covers them). */
const CHAIN_LIMIT = 8;
/** Above this many segments the split search is narrowed (Knuth's window) to stay fast. */
const FULL_SEARCH_LIMIT = 64;
/**
 * Above this many segments the interval program is run on pieces only (its
 * tables hold LARGE_LIST squared cells, 16 bytes each: 4 MB here). Every
 * corpus search is far smaller, so their trees are the optimal ones.
 */
const LARGE_LIST = 512;
/** The most segments one piece of a large list has. */
const PIECE_SIZE = 256;

/** The cases clipped to the domain, disjoint (first given wins on overlap), sorted by start. */
function claimRanges(cases: readonly RangeCase[], low: number, high: number): RangeCase[] {
  const clipped = cases
    .map((range) => ({ ...range, start: Math.max(range.start, low), end: Math.min(range.end, high) }))
    .filter((range) => range.start <= range.end);
  const sorted = [...clipped].sort((a, b) => a.start - b.start);
  if (sorted.every((range, index) => index === 0 || range.start > sorted[index - 1].end)) return sorted;
  // Overlaps are rare (the x32 range over a listed number, from an arch file).
  return claimOverlapping(clipped);
}

/**
 * Overlapping cases, first given wins: each case keeps the parts of its
 * range no earlier case took, and its weight stays with the part that
 * begins at its own start (a later part gets 0). The line is cut at every
 * case's start and end + 1; in given order each case claims the still
 * unclaimed pieces inside its range, found through a "next unclaimed"
 * pointer table, so the work is O(n log n) rather than cases × claims.
 */
function claimOverlapping(cases: readonly RangeCase[]): RangeCase[] {
  const cuts = [...new Set(cases.flatMap((range) => [range.start, range.end + 1]))].sort((a, b) => a - b);
  const cutIndex = new Map(cuts.map((value, index) => [value, index]));
  // Piece i is [cuts[i], cuts[i + 1] - 1]; owner -1 while unclaimed.
  const owner = new Int32Array(cuts.length).fill(-1);
  const nextUnclaimed = Int32Array.from({ length: cuts.length + 1 }, (_, index) => index);
  const find = (index: number): number => {
    while (nextUnclaimed[index] !== index) {
      nextUnclaimed[index] = nextUnclaimed[nextUnclaimed[index]];
      index = nextUnclaimed[index];
    }
    return index;
  };
  cases.forEach((range, caseIndex) => {
    const stop = cutIndex.get(range.end + 1)!;
    for (let piece = find(cutIndex.get(range.start)!); piece < stop; piece = find(piece + 1)) {
      owner[piece] = caseIndex;
      nextUnclaimed[piece] = piece + 1;
    }
  });
  const claimed: RangeCase[] = [];
  for (let piece = 0; piece < cuts.length - 1; piece++) {
    const caseIndex = owner[piece];
    if (caseIndex < 0) continue;
    const previous = claimed[claimed.length - 1];
    if (piece > 0 && owner[piece - 1] === caseIndex) {
      claimed[claimed.length - 1] = { ...previous, end: cuts[piece + 1] - 1 };
      continue;
    }
    const range = cases[caseIndex];
    claimed.push({ start: cuts[piece], end: cuts[piece + 1] - 1, outcome: range.outcome, weight: cuts[piece] === range.start ? range.weight : 0 });
  }
  return claimed;
}

/**
 * The domain cut into maximal runs of equal outcome. Exposed for tests and
 * for the dispatch pass's statistics.
 */
export function buildSegments(request: RangeTreeRequest): Segment[] {
  const low = request.domain?.low ?? 0;
  const high = request.domain?.high ?? WORD_MAX;
  const claimed = claimRanges(request.cases, low, high);
  const segments: { start: number; end: number; outcome: NodeId; weight: number }[] = [];
  const push = (start: number, end: number, outcome: NodeId, weight: number): void => {
    const previous = segments[segments.length - 1];
    if (previous !== undefined && previous.outcome === outcome && previous.end + 1 === start) {
      previous.end = end;
      previous.weight += weight;
    } else {
      segments.push({ start, end, outcome, weight });
    }
  };
  let next = low;
  for (const range of claimed) {
    if (range.start > next) push(next, range.start - 1, request.background, 0);
    push(range.start, range.end, range.outcome, range.weight);
    next = range.end + 1;
  }
  if (next <= high) push(next, high, request.background, 0);
  return segments;
}

interface Plan {
  /** Tests executed, summed over the segments weighted by their weight. */
  readonly weighted: number;
  /** Tests emitted. */
  readonly size: number;
}

const better = (a: Plan, b: Plan): boolean => a.weighted < b.weighted || (a.weighted === b.weighted && a.size < b.size);

/** How a chain tests one island of the interval [first, last]. */
type IslandShape = 'single' | 'at-first' | 'at-last' | 'inside';

function islandShape(segments: readonly Segment[], index: number, first: number, last: number): IslandShape {
  if (segments[index].start === segments[index].end) return 'single';
  if (index === first) return 'at-first';
  if (index === last) return 'at-last';
  return 'inside';
}

interface Chain {
  readonly plan: Plan;
  /** Islands in test order. */
  readonly order: number[];
}

/** Per-segment facts every chain plan of one segment list needs, computed once. */
interface ChainContext {
  readonly segments: readonly Segment[];
  readonly background: NodeId;
  /** Weight of the background segments before index i. */
  readonly backgroundPrefix: Float64Array;
  /** Background segments before index i. */
  readonly backgroundCountPrefix: Int32Array;
}

function chainContext(segments: readonly Segment[], background: NodeId): ChainContext {
  const backgroundPrefix = new Float64Array(segments.length + 1);
  const backgroundCountPrefix = new Int32Array(segments.length + 1);
  segments.forEach((segment, index) => {
    const isBackground = segment.outcome === background;
    backgroundPrefix[index + 1] = backgroundPrefix[index] + (isBackground ? segment.weight : 0);
    backgroundCountPrefix[index + 1] = backgroundCountPrefix[index] + (isBackground ? 1 : 0);
  });
  return { segments, background, backgroundPrefix, backgroundCountPrefix };
}

/** Working arrays of the chain planner, reused between calls (it runs for every short interval). */
interface ChainScratch {
  order: number[];
  own: number[];
  ratio: number[];
  weighted: number;
  size: number;
}

const newChainScratch = (): ChainScratch => ({ order: [], own: [], ratio: [], weighted: 0, size: 0 });
const sharedChainScratch = newChainScratch();

/**
 * A chain over [first, last]: the islands (segments whose outcome is not
 * the background) tested one by one, everything else falling through to the
 * background. False when the interval has no background segment (the
 * fall-through would be wrong) or more than `limit` islands; otherwise the
 * test order (first `islandCount` entries of scratch.order) and the cost are
 * left in `scratch`.
 */
function planChainInto(context: ChainContext, first: number, last: number, limit: number, scratch: ChainScratch): boolean {
  const { segments, background, backgroundPrefix, backgroundCountPrefix } = context;
  const islandCount = last - first + 1 - (backgroundCountPrefix[last + 1] - backgroundCountPrefix[first]);
  if (islandCount === 0 || islandCount > limit || islandCount === last - first + 1) return false;
  const { order, own, ratio } = scratch;
  let placed = 0;
  for (let index = first; index <= last; index++) {
    const segment = segments[index];
    if (segment.outcome === background) continue;
    const cost = segment.start === segment.end || index === first || index === last ? 1 : 2;
    const value = segment.weight / cost;
    // Smith's rule: weight per test, descending; ties keep number order (insertion sort: few islands).
    let position = placed++;
    while (position > 0 && ratio[position - 1] < value) {
      order[position] = order[position - 1];
      own[position] = own[position - 1];
      ratio[position] = ratio[position - 1];
      position--;
    }
    order[position] = index;
    own[position] = cost;
    ratio[position] = value;
  }
  // Exact cost: a segment pays one test for every island checked before it
  // is decided, two for an inside range it lies above, and its own test.
  let weighted = (backgroundPrefix[last + 1] - backgroundPrefix[first]) * islandCount;
  let size = 0;
  for (let position = 0; position < islandCount; position++) {
    const island = order[position];
    const islandOwn = own[position];
    size += islandOwn;
    if (islandOwn === 2) weighted += backgroundPrefix[last + 1] - backgroundPrefix[island + 1];
    let tests = islandOwn + position;
    for (let earlier = 0; earlier < position; earlier++) {
      if (own[earlier] === 2 && order[earlier] < island) tests++;
    }
    weighted += segments[island].weight * tests;
  }
  scratch.weighted = weighted;
  scratch.size = size;
  return true;
}

/** planChainInto with its own arrays, for building a chain. */
function planChain(context: ChainContext, first: number, last: number, limit: number): Chain | undefined {
  const scratch = newChainScratch();
  if (!planChainInto(context, first, last, limit, scratch)) return undefined;
  const islandCount = last - first + 1 - (context.backgroundCountPrefix[last + 1] - context.backgroundCountPrefix[first]);
  return { plan: { weighted: scratch.weighted, size: scratch.size }, order: scratch.order.slice(0, islandCount) };
}

/** Builds a chain's nodes; order[0] is tested first. */
function buildChain(graph: DecisionGraph, word: number, segments: readonly Segment[], chain: Chain, first: number, last: number, background: NodeId): NodeId {
  let next = background;
  for (let position = chain.order.length - 1; position >= 0; position--) {
    const index = chain.order[position];
    const segment = segments[index];
    switch (islandShape(segments, index, first, last)) {
      case 'single':
        next = graph.testNode(word, 'jeq', segment.start, segment.outcome, next);
        break;
      case 'at-first':
        next = graph.testNode(word, 'jgt', segment.end, next, segment.outcome);
        break;
      case 'at-last':
        next = graph.testNode(word, 'jge', segment.start, segment.outcome, next);
        break;
      case 'inside':
        next = graph.testNode(word, 'jge', segment.start, graph.testNode(word, 'jgt', segment.end, next, segment.outcome), next);
        break;
    }
  }
  return next;
}

/** The search tree chosen for a list of segments, and how to build it. */
interface SearchTree {
  readonly plan: Plan;
  build(graph: DecisionGraph, word: number): NodeId;
}

/**
 * Cost tables shared by every search (compiling runs one after another).
 * Every cell the program reads it has written first in the same run, so
 * they are never cleared; `choice` is not shared because the tree is built
 * from it after other searches (peeling) have run.
 */
let sharedWeighted = new Float64Array(0);
let sharedSize = new Int32Array(0);
function costTables(cells: number): { weighted: Float64Array; size: Int32Array } {
  if (sharedWeighted.length < cells) {
    sharedWeighted = new Float64Array(cells);
    sharedSize = new Int32Array(cells);
  }
  return { weighted: sharedWeighted, size: sharedSize };
}

/**
 * The interval dynamic program: for every interval of segments the cheapest
 * of a threshold split and (up to CHAIN_LIMIT islands) a chain. The whole
 * range may also be one chain of any length, so the result is never slower
 * than the linear strategy.
 */
function optimalTree(segments: readonly Segment[], background: NodeId): SearchTree {
  const count = segments.length;
  if (count === 1) return { plan: { weighted: 0, size: 0 }, build: () => segments[0].outcome };
  const context = chainContext(segments, background);
  const { backgroundCountPrefix } = context;
  const prefixWeight = new Float64Array(count + 1);
  for (let index = 0; index < count; index++) prefixWeight[index + 1] = prefixWeight[index] + segments[index].weight;

  // Interval [first, last] is stored at first * count + last.
  const { weighted, size } = costTables(count * count);
  /** -1: leaf; -2: chain; k > 0: split before segment k. */
  const choice = new Int32Array(count * count);
  const narrow = count > FULL_SEARCH_LIMIT;

  for (let length = 1; length <= count; length++) {
    for (let first = 0; first + length - 1 < count; first++) {
      const last = first + length - 1;
      const cell = first * count + last;
      if (length === 1) {
        choice[cell] = -1;
        weighted[cell] = 0;
        size[cell] = 0;
        continue;
      }
      let bestWeighted = Number.POSITIVE_INFINITY;
      let bestSize = Number.MAX_SAFE_INTEGER;
      let bestChoice = 0;
      // Most intervals have too many islands for a chain: checked here, without a call.
      const backgroundCount = backgroundCountPrefix[last + 1] - backgroundCountPrefix[first];
      const islandCount = length - backgroundCount;
      const chainLimit = length === count ? Number.POSITIVE_INFINITY : CHAIN_LIMIT;
      if (islandCount <= chainLimit && backgroundCount > 0 && planChainInto(context, first, last, chainLimit, sharedChainScratch)) {
        bestWeighted = sharedChainScratch.weighted;
        bestSize = sharedChainScratch.size;
        bestChoice = -2;
      }
      const intervalWeight = prefixWeight[last + 1] - prefixWeight[first];
      let lowSplit = first + 1;
      let highSplit = last;
      if (narrow && length > 2) {
        // Knuth's window: for splits alone the best split of [first, last]
        // lies between those of [first, last-1] and [first+1, last]. With
        // chains in the mix that is a heuristic, used only on long lists.
        const left = choice[first * count + last - 1];
        const right = choice[(first + 1) * count + last];
        if (left > 0) lowSplit = Math.max(lowSplit, left);
        if (right > 0) highSplit = Math.min(highSplit, right);
        if (lowSplit > highSplit) {
          lowSplit = first + 1;
          highSplit = last;
        }
      }
      for (let split = lowSplit; split <= highSplit; split++) {
        const leftCell = first * count + split - 1;
        const rightCell = split * count + last;
        const candidateWeighted = intervalWeight + weighted[leftCell] + weighted[rightCell];
        if (candidateWeighted > bestWeighted) continue;
        const candidateSize = 1 + size[leftCell] + size[rightCell];
        if (candidateWeighted < bestWeighted || candidateSize < bestSize) {
          bestWeighted = candidateWeighted;
          bestSize = candidateSize;
          bestChoice = split;
        }
      }
      weighted[cell] = bestWeighted;
      size[cell] = bestSize;
      choice[cell] = bestChoice;
    }
  }

  const root = count - 1;
  return {
    plan: { weighted: weighted[root], size: size[root] },
    build: (graph, word) => {
      const build = (first: number, last: number): NodeId => {
        const chosen = choice[first * count + last];
        if (chosen === -1) return segments[first].outcome;
        if (chosen === -2) {
          // Recomputed rather than stored: only the chains actually used are needed.
          const limit = first === 0 && last === count - 1 ? Number.POSITIVE_INFINITY : CHAIN_LIMIT;
          const chain = planChain(context, first, last, limit)!;
          return buildChain(graph, word, segments, chain, first, last, background);
        }
        return graph.testNode(word, 'jge', segments[chosen].start, build(chosen, last), build(first, chosen - 1));
      };
      return build(0, count - 1);
    },
  };
}

/**
 * A large list: balanced threshold splits down to pieces of at most
 * PIECE_SIZE segments, each piece planned by the interval program. Each
 * split is placed where it best halves the weight (by count when there is
 * none), but within the middle half of the interval so the top of the tree
 * stays O(log n) deep. Time and memory are linear in the segment count.
 */
function piecewiseTree(segments: readonly Segment[], background: NodeId): SearchTree {
  const prefixWeight = new Float64Array(segments.length + 1);
  segments.forEach((segment, index) => (prefixWeight[index + 1] = prefixWeight[index] + segment.weight));
  const plan = (first: number, last: number): SearchTree => {
    const length = last - first + 1;
    if (length <= PIECE_SIZE) return optimalTree(segments.slice(first, last + 1), background);
    // Split before segment `split`: [first, split - 1] and [split, last].
    const low = first + Math.floor(length / 4);
    const high = last + 1 - Math.floor(length / 4);
    const total = prefixWeight[last + 1] - prefixWeight[first];
    const middle = first + Math.floor(length / 2);
    let split = middle;
    if (total > 0) {
      let bestImbalance = Number.POSITIVE_INFINITY;
      for (let candidate = low; candidate <= high; candidate++) {
        const imbalance = Math.abs(2 * (prefixWeight[candidate] - prefixWeight[first]) - total);
        if (imbalance < bestImbalance || (imbalance === bestImbalance && Math.abs(candidate - middle) < Math.abs(split - middle))) {
          bestImbalance = imbalance;
          split = candidate;
        }
      }
    }
    const below = plan(first, split - 1);
    const above = plan(split, last);
    return {
      plan: { weighted: total + below.plan.weighted + above.plan.weighted, size: 1 + below.plan.size + above.plan.size },
      build: (graph, word) => graph.testNode(word, 'jge', segments[split].start, above.build(graph, word), below.build(graph, word)),
    };
  };
  return plan(0, segments.length - 1);
}

/** The tree for a list of segments: optimal for ordinary lists, piecewise for large ones. */
function searchTree(segments: readonly Segment[], background: NodeId): SearchTree {
  return segments.length > LARGE_LIST ? piecewiseTree(segments, background) : optimalTree(segments, background);
}

/**
 * The segments once the single values in `peeled` can no longer occur (a
 * JEQ above has taken them): each such segment disappears into a
 * neighbour, which merges both neighbours when their outcomes agree.
 */
export function withoutValues(segments: readonly Segment[], peeled: ReadonlySet<number>, background: NodeId): Segment[] {
  const result: Segment[] = [];
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    if (!(segment.start === segment.end && peeled.has(segment.start))) {
      const previous = result[result.length - 1];
      if (previous !== undefined && previous.outcome === segment.outcome && previous.end + 1 === segment.start) {
        result[result.length - 1] = { ...previous, end: segment.end, weight: previous.weight + segment.weight };
      } else result.push({ ...segment });
      continue;
    }
    // The value is gone: widen a neighbour over it. Prefer the background
    // (it costs no test) and then one that is already a range.
    const previous = result[result.length - 1];
    const next = segments[index + 1];
    const intoPrevious =
      previous !== undefined &&
      previous.end + 1 === segment.start &&
      (next === undefined || previous.outcome === next.outcome || previous.outcome === background || (next.outcome !== background && previous.start !== previous.end));
    if (intoPrevious) result[result.length - 1] = { ...previous, end: segment.end };
    else if (next !== undefined) segments = [...segments.slice(0, index + 1), { ...next, start: segment.start }, ...segments.slice(index + 2)];
    else result.push({ ...segment, weight: 0 });
  }
  return result;
}

/**
 * Peeling: a value far hotter than the rest is best tested first with a
 * single JEQ, before the search tree over everything else. Up to
 * PEEL_LIMIT of the heaviest single values are tried, each only when it
 * carries at least 1/PEEL_SHARE of the weight still unpeeled.
 */
const PEEL_LIMIT = 3;
const PEEL_SHARE = 8;

/** Pass entry point: the root of the search tree, built into `graph`. */
export function buildRangeTree(graph: DecisionGraph, request: RangeTreeRequest): NodeId {
  const segments = buildSegments(request);
  if (segments.length === 1) return segments[0].outcome;
  refuseSearchThatCannotFit(segments.length);
  const { background, word } = request;
  if (request.strategy === 'linear') {
    const chain = planChain(chainContext(segments, background), 0, segments.length - 1, Number.POSITIVE_INFINITY);
    if (chain !== undefined) return buildChain(graph, word, segments, chain, 0, segments.length - 1, background);
  }

  let best = searchTree(segments, background);
  let bestPeeled: Segment[] = [];
  const totalWeight = segments.reduce((sum, segment) => sum + segment.weight, 0);
  const hot = segments
    .map((segment, index) => ({ segment, index }))
    .filter(({ segment }) => segment.start === segment.end && segment.weight > 0)
    .sort((a, b) => b.segment.weight - a.segment.weight || a.index - b.index)
    .slice(0, PEEL_LIMIT)
    .map(({ segment }) => segment);
  let peeledWeight = 0;
  let peelCost = 0;
  for (let count = 1; count <= hot.length; count++) {
    const value = hot[count - 1];
    if (value.weight * PEEL_SHARE < totalWeight - peeledWeight) break;
    peelCost += value.weight * count;
    peeledWeight += value.weight;
    const peeled = hot.slice(0, count);
    const rest = searchTree(withoutValues(segments, new Set(peeled.map((segment) => segment.start)), background), background);
    const plan = { weighted: peelCost + (totalWeight - peeledWeight) * count + rest.plan.weighted, size: count + rest.plan.size };
    if (better(plan, best.plan)) {
      best = { plan, build: rest.build };
      bestPeeled = peeled;
    }
  }
  let root = best.build(graph, word);
  for (let position = bestPeeled.length - 1; position >= 0; position--) {
    root = graph.testNode(word, 'jeq', bestPeeled[position].start, bestPeeled[position].outcome, root);
  }
  return root;
}
