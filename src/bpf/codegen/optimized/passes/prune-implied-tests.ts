/**
 * Pass: remove tests whose outcome is already known on every path that
 * reaches them.
 *
 * seccomp_data does not change while the filter runs, so what a test
 * learned about a word (its range, bits known to be 0 or 1) holds for the
 * rest of the path. Facts flow forward through the graph; where paths join
 * only what holds on all of them is kept. A test decided by its facts is
 * replaced by the branch it would always take, and the other branch no
 * longer contributes facts downstream (it is dead from there).
 *
 * The result is rebuilt in a fresh graph, so nodes that became equal are
 * shared again.
 */
import { DecisionGraph, WORD_MAX, type NodeId, type TestNode } from '../graph.js';

/** What is known about one 32-bit word. */
export interface WordFact {
  readonly min: number;
  readonly max: number;
  /** Bits known to be 0. */
  readonly zeros: number;
  /** Bits known to be 1. */
  readonly ones: number;
}

export type Facts = ReadonlyMap<number, WordFact>;

const UNKNOWN: WordFact = { min: 0, max: WORD_MAX, zeros: 0, ones: 0 };

const factOf = (facts: Facts, word: number): WordFact => facts.get(word) ?? UNKNOWN;

/** true / false when the facts decide the test, undefined otherwise. */
export function decideTest(test: Pick<TestNode, 'operator' | 'operand'>, fact: WordFact): boolean | undefined {
  const k = test.operand >>> 0;
  switch (test.operator) {
    case 'jeq':
      if (k < fact.min || k > fact.max) return false;
      if ((k & fact.zeros) !== 0 || (~k & fact.ones) !== 0) return false;
      if (fact.min === fact.max) return true;
      return undefined;
    case 'jgt':
      if (fact.min > k) return true;
      if (fact.max <= k) return false;
      return undefined;
    case 'jge':
      if (fact.min >= k) return true;
      if (fact.max < k) return false;
      return undefined;
    case 'jset':
      if ((k & fact.ones) !== 0) return true;
      if ((k & ~fact.zeros) === 0) return false;
      if (fact.min === fact.max) return (fact.min & k) !== 0;
      // Every value in [min, max] is below k's lowest set bit.
      if (fact.max < (k & -k) >>> 0) return false;
      // A value known to be non-zero whose every possible bit is in k.
      if ((~fact.zeros & ~k) >>> 0 === 0 && (fact.min > 0 || fact.ones !== 0)) return true;
      return undefined;
  }
}

/** The fact after the test took the given branch. */
export function refineFact(test: Pick<TestNode, 'operator' | 'operand'>, fact: WordFact, outcome: boolean): WordFact {
  const k = test.operand >>> 0;
  switch (test.operator) {
    case 'jeq':
      if (outcome) return { min: k, max: k, zeros: ~k >>> 0, ones: k };
      if (k === fact.min && fact.min < fact.max) return { ...fact, min: k + 1 };
      if (k === fact.max && fact.min < fact.max) return { ...fact, max: k - 1 };
      return fact;
    case 'jgt':
      return outcome ? { ...fact, min: Math.max(fact.min, k + 1) } : { ...fact, max: Math.min(fact.max, k) };
    case 'jge':
      return outcome ? { ...fact, min: Math.max(fact.min, k) } : { ...fact, max: Math.min(fact.max, k - 1) };
    case 'jset': {
      if (!outcome) return { ...fact, zeros: (fact.zeros | k) >>> 0 };
      // Only a single-bit mask says which bit is set.
      const singleBit = k !== 0 && (k & (k - 1)) === 0;
      return singleBit ? { ...fact, ones: (fact.ones | k) >>> 0 } : fact;
    }
  }
}

const meetFact = (a: WordFact, b: WordFact): WordFact => ({
  min: Math.min(a.min, b.min),
  max: Math.max(a.max, b.max),
  zeros: (a.zeros & b.zeros) >>> 0,
  ones: (a.ones & b.ones) >>> 0,
});

/** What holds on both paths: words known on only one side become unknown. */
export function meetFacts(a: Facts, b: Facts): Facts {
  const result = new Map<number, WordFact>();
  for (const [word, fact] of a) {
    const other = b.get(word);
    if (other !== undefined) result.set(word, meetFact(fact, other));
  }
  return result;
}

/** Pass entry point: a new graph without the implied tests, and its root. */
export function pruneImpliedTests(graph: DecisionGraph, root: NodeId, initialFacts: Facts = new Map()): { graph: DecisionGraph; root: NodeId } {
  const order = graph.topologicalOrder(root);
  const incoming = new Map<NodeId, Facts>([[root, initialFacts]]);
  /** For a decided test: the branch it always takes. */
  const decided = new Map<NodeId, NodeId>();
  const reached = new Set<NodeId>();
  const flow = (target: NodeId, facts: Facts): void => {
    const existing = incoming.get(target);
    incoming.set(target, existing === undefined ? facts : meetFacts(existing, facts));
  };

  for (const id of order) {
    const facts = incoming.get(id);
    if (facts === undefined) continue; // every edge into it is dead
    reached.add(id);
    incoming.delete(id);
    const current = graph.node(id);
    if (current.kind !== 'test') continue;
    const fact = factOf(facts, current.word);
    const outcome = decideTest(current, fact);
    if (outcome !== undefined) {
      const taken = outcome ? current.whenTrue : current.whenFalse;
      decided.set(id, taken);
      flow(taken, facts);
      continue;
    }
    for (const branch of [true, false]) {
      const refined = new Map(facts);
      refined.set(current.word, refineFact(current, fact, branch));
      flow(branch ? current.whenTrue : current.whenFalse, refined);
    }
  }

  const result = new DecisionGraph();
  const mapped = new Map<NodeId, NodeId>();
  const resolve = (id: NodeId): NodeId => {
    let current = id;
    while (decided.has(current)) current = decided.get(current)!;
    return current;
  };
  // Successors first, so every branch target is already in the new graph.
  for (let position = order.length - 1; position >= 0; position--) {
    const id = order[position];
    if (!reached.has(id) || decided.has(id)) continue;
    const current = graph.node(id);
    if (current.kind === 'return') mapped.set(id, result.returnNode(current.value));
    else {
      const whenTrue = mapped.get(resolve(current.whenTrue));
      const whenFalse = mapped.get(resolve(current.whenFalse));
      if (whenTrue === undefined || whenFalse === undefined) throw new Error('prune-implied-tests: branch target not rebuilt');
      mapped.set(id, result.testNode(current.word, current.operator, current.operand, whenTrue, whenFalse));
    }
  }
  const newRoot = mapped.get(resolve(root));
  if (newRoot === undefined) throw new Error('prune-implied-tests: root not rebuilt');
  return { graph: result, root: newRoot };
}
