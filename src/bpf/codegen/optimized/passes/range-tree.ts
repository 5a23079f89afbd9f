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
 *    two otherwise) in the order that minimises the weighted cost (Smith's
 *    rule: weight / test cost, descending), everything else falling through
 *    to the background.
 * Cost is (weighted tests executed, tests emitted) compared in that order,
 * so among equally fast trees the smallest wins.
 */
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
  /** 'bst' (default): the optimal tree; 'linear': one chain, most frequent first. */
  readonly strategy?: 'bst' | 'linear';
}

export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly outcome: NodeId;
  readonly weight: number;
}

/** Islands above this count are not tried as one chain (the split search covers them). */
const CHAIN_LIMIT = 12;
/** Above this many segments the split search is narrowed (Knuth's window) to stay fast. */
const FULL_SEARCH_LIMIT = 256;

/**
 * The domain cut into maximal runs of equal outcome. Exposed for tests and
 * for the dispatch pass's statistics.
 */
export function buildSegments(request: RangeTreeRequest): Segment[] {
  const low = request.domain?.low ?? 0;
  const high = request.domain?.high ?? WORD_MAX;
  const claimed: RangeCase[] = [];
  // First given wins on overlap: clip later cases against earlier ones.
  for (const candidate of request.cases) {
    let pieces: RangeCase[] = [{ ...candidate, start: Math.max(candidate.start, low), end: Math.min(candidate.end, high) }];
    pieces = pieces.filter((piece) => piece.start <= piece.end);
    for (const earlier of claimed) {
      pieces = pieces.flatMap((piece) => {
        if (piece.end < earlier.start || piece.start > earlier.end) return [piece];
        const rest: RangeCase[] = [];
        if (piece.start < earlier.start) rest.push({ ...piece, end: earlier.start - 1 });
        if (piece.end > earlier.end) rest.push({ ...piece, start: earlier.end + 1, weight: 0 });
        return rest;
      });
    }
    claimed.push(...pieces);
  }
  claimed.sort((a, b) => a.start - b.start);
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
  readonly weighted: number;
  readonly size: number;
}

const better = (a: Plan, b: Plan): boolean => a.weighted < b.weighted || (a.weighted === b.weighted && a.size < b.size);

/** Cost of testing one island inside interval [first, last] of segments. */
function islandTestCost(segments: readonly Segment[], index: number, first: number, last: number): number {
  const segment = segments[index];
  if (segment.start === segment.end || index === first || index === last) return 1;
  return 2;
}

/** Chain order and cost for the islands of [first, last]; undefined when no chain applies. */
function planChain(
  segments: readonly Segment[],
  first: number,
  last: number,
  background: NodeId,
  limit: number,
): { plan: Plan; order: number[] } | undefined {
  const islands: number[] = [];
  let backgroundWeight = 0;
  let hasBackground = false;
  for (let index = first; index <= last; index++) {
    if (segments[index].outcome === background) {
      hasBackground = true;
      backgroundWeight += segments[index].weight;
    } else {
      islands.push(index);
      if (islands.length > limit) return undefined;
    }
  }
  if (!hasBackground || islands.length === 0) return undefined;
  const cost = (index: number): number => islandTestCost(segments, index, first, last);
  const order = islands.sort((a, b) => {
    const ratio = segments[b].weight / cost(b) - segments[a].weight / cost(a);
    return ratio !== 0 ? ratio : a - b;
  });
  let weighted = 0;
  let spent = 0;
  for (const index of order) {
    spent += cost(index);
    weighted += segments[index].weight * spent;
  }
  weighted += backgroundWeight * spent;
  return { plan: { weighted, size: spent }, order };
}

/** Builds the chain's nodes; the first island of `order` is tested first. */
function buildChain(
  graph: DecisionGraph,
  word: number,
  segments: readonly Segment[],
  order: readonly number[],
  first: number,
  last: number,
  background: NodeId,
): NodeId {
  let next = background;
  for (let position = order.length - 1; position >= 0; position--) {
    const index = order[position];
    const segment = segments[index];
    if (segment.start === segment.end) next = graph.testNode(word, 'jeq', segment.start, segment.outcome, next);
    else if (index === first) next = graph.testNode(word, 'jgt', segment.end, next, segment.outcome);
    else if (index === last) next = graph.testNode(word, 'jge', segment.start, segment.outcome, next);
    else next = graph.testNode(word, 'jge', segment.start, graph.testNode(word, 'jgt', segment.end, next, segment.outcome), next);
  }
  return next;
}

/** Pass entry point: the root of the search tree, built into `graph`. */
export function buildRangeTree(graph: DecisionGraph, request: RangeTreeRequest): NodeId {
  const segments = buildSegments(request);
  const count = segments.length;
  if (count === 1) return segments[0].outcome;
  if (request.strategy === 'linear') {
    const chain = planChain(segments, 0, count - 1, request.background, Number.POSITIVE_INFINITY);
    if (chain !== undefined) return buildChain(graph, request.word, segments, chain.order, 0, count - 1, request.background);
  }

  const prefixWeight = new Float64Array(count + 1);
  for (let index = 0; index < count; index++) prefixWeight[index + 1] = prefixWeight[index] + segments[index].weight;

  // Interval [first, last] is stored at first * count + last.
  const weighted = new Float64Array(count * count);
  const size = new Int32Array(count * count);
  /** -1: leaf; -2: chain; k > 0: split before segment k. */
  const choice = new Int32Array(count * count);
  const narrow = count > FULL_SEARCH_LIMIT;

  for (let length = 1; length <= count; length++) {
    for (let first = 0; first + length - 1 < count; first++) {
      const last = first + length - 1;
      const cell = first * count + last;
      if (length === 1) {
        choice[cell] = -1;
        continue;
      }
      let bestWeighted = Number.POSITIVE_INFINITY;
      let bestSize = Number.MAX_SAFE_INTEGER;
      let bestChoice = 0;
      const chain = planChain(segments, first, last, request.background, CHAIN_LIMIT);
      if (chain !== undefined) {
        bestWeighted = chain.plan.weighted;
        bestSize = chain.plan.size;
        bestChoice = -2;
      }
      const intervalWeight = prefixWeight[last + 1] - prefixWeight[first];
      let lowSplit = first + 1;
      let highSplit = last;
      if (narrow && length > 2) {
        // Knuth's window: the best split of [first, last] lies between the
        // best splits of [first, last-1] and [first+1, last].
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
        const candidateSize = 1 + size[leftCell] + size[rightCell];
        if (better({ weighted: candidateWeighted, size: candidateSize }, { weighted: bestWeighted, size: bestSize })) {
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

  const build = (first: number, last: number): NodeId => {
    const cell = first * count + last;
    const chosen = choice[cell];
    if (chosen === -1) return segments[first].outcome;
    if (chosen === -2) {
      // Recomputed rather than stored: only the chains actually used are needed.
      const chain = planChain(segments, first, last, request.background, CHAIN_LIMIT)!;
      return buildChain(graph, request.word, segments, chain.order, first, last, request.background);
    }
    return graph.testNode(request.word, 'jge', segments[chosen].start, build(chosen, last), build(first, chosen - 1));
  };
  return build(0, count - 1);
}
