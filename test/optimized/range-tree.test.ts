import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecisionGraph, runGraph, WORD_MAX } from '../../src/bpf/codegen/optimized/graph.js';
import { buildRangeTree, buildSegments, type RangeCase } from '../../src/bpf/codegen/optimized/passes/range-tree.js';

const WORD = 0;

function outcomeOf(cases: readonly RangeCase[], background: number, value: number): number {
  return cases.find((range) => range.start <= value && value <= range.end)?.outcome ?? background;
}

/** Builds the tree for `cases` and returns a function giving (outcome, tests run) for a value. */
function tree(cases: RangeCase[], strategy: 'bst' | 'linear' = 'bst', domain?: { low: number; high: number }) {
  const graph = new DecisionGraph();
  const outcomes = new Map<number, number>();
  const returnOf = (label: number): number => {
    const id = graph.returnNode(label);
    outcomes.set(id, label);
    return id;
  };
  const background = returnOf(1000);
  const mapped = cases.map((range) => ({ ...range, outcome: returnOf(range.outcome) }));
  const root = buildRangeTree(graph, { word: WORD, cases: mapped, background, strategy, domain });
  return {
    graph,
    root,
    run: (value: number) => {
      const result = runGraph(graph, root, () => value);
      return { label: result.value, tests: result.testsExecuted };
    },
  };
}

describe('buildSegments', () => {
  it('cuts the domain into maximal runs of equal outcome, gaps merging with background ranges', () => {
    const segments = buildSegments({
      word: WORD,
      background: 9,
      cases: [
        { start: 5, end: 5, outcome: 1, weight: 3 },
        { start: 6, end: 7, outcome: 1, weight: 2 },
        { start: 10, end: 10, outcome: 9, weight: 4 },
        { start: 20, end: 20, outcome: 2, weight: 1 },
      ],
    });
    expect(segments).toEqual([
      { start: 0, end: 4, outcome: 9, weight: 0 },
      { start: 5, end: 7, outcome: 1, weight: 5 },
      { start: 8, end: 19, outcome: 9, weight: 4 },
      { start: 20, end: 20, outcome: 2, weight: 1 },
      { start: 21, end: WORD_MAX, outcome: 9, weight: 0 },
    ]);
  });

  it('lets the first of two overlapping cases win, and clips to the domain', () => {
    const segments = buildSegments({
      word: WORD,
      background: 9,
      domain: { low: 0, high: 100 },
      cases: [
        { start: 10, end: 20, outcome: 1, weight: 1 },
        { start: 15, end: 30, outcome: 2, weight: 1 },
        { start: 90, end: 200, outcome: 3, weight: 1 },
      ],
    });
    expect(segments.map((segment) => [segment.start, segment.end, segment.outcome])).toEqual([
      [0, 9, 9],
      [10, 20, 1],
      [21, 30, 2],
      [31, 89, 9],
      [90, 100, 3],
    ]);
  });
});

describe('buildRangeTree', () => {
  const caseArbitrary = fc
    .array(fc.record({ start: fc.integer({ min: 0, max: 600 }), length: fc.integer({ min: 1, max: 4 }), outcome: fc.integer({ min: 1, max: 4 }), weight: fc.integer({ min: 0, max: 50 }) }), { maxLength: 40 })
    .map((items) => items.map(({ start, length, outcome, weight }) => ({ start, end: start + length - 1, outcome, weight })));

  it('sends every value to its range\'s outcome (both strategies, boundaries and random values)', () => {
    fc.assert(
      fc.property(caseArbitrary, fc.constantFrom<'bst' | 'linear'>('bst', 'linear'), fc.array(fc.integer({ min: 0, max: WORD_MAX }), { maxLength: 20 }), (cases, strategy, extra) => {
        // Overlaps resolve first-wins; the expectation does the same.
        const built = tree(cases, strategy);
        const probes = new Set<number>([0, WORD_MAX, ...extra]);
        for (const range of cases) for (const value of [range.start - 1, range.start, range.end, range.end + 1]) if (value >= 0) probes.add(value);
        for (const value of probes) expect(built.run(value).label).toBe(outcomeOf(cases, 1000, value));
      }),
      { numRuns: 300 },
    );
  });

  it('spends no test where the bounds already decide, and one JEQ on a value between equal neighbours', () => {
    expect(tree([{ start: 0, end: WORD_MAX, outcome: 1, weight: 1 }]).root).toBeDefined();
    expect(tree([{ start: 0, end: WORD_MAX, outcome: 1, weight: 1 }]).run(7).tests).toBe(0);
    const single = tree([{ start: 42, end: 42, outcome: 1, weight: 1 }]);
    expect(single.run(42)).toEqual({ label: 1, tests: 1 });
    expect(single.run(41)).toEqual({ label: 1000, tests: 1 });
    // A range that starts at the domain's lower bound needs a single test.
    const bounded = tree([{ start: 10, end: 20, outcome: 1, weight: 1 }], 'bst', { low: 10, high: 1000 });
    expect(bounded.run(15)).toEqual({ label: 1, tests: 1 });
  });

  it('puts a hot value on a short path', () => {
    const cases: RangeCase[] = [];
    for (let number = 0; number < 60; number += 2) cases.push({ start: number, end: number, outcome: 1 + (number % 3), weight: 1 });
    cases.push({ start: 31, end: 31, outcome: 4, weight: 10_000 });
    const built = tree(cases);
    expect(built.run(31)).toEqual({ label: 4, tests: 1 });
    // Everything else is still found, in few tests.
    for (let number = 0; number < 60; number += 2) expect(built.run(number).tests).toBeLessThanOrEqual(9);
  });

  it('minimises the weighted number of tests: never worse than a balanced split or a chain', () => {
    fc.assert(
      fc.property(caseArbitrary, (cases) => {
        const built = tree(cases);
        const chain = tree(cases, 'linear');
        const segments = buildSegments({ word: WORD, background: 1000, cases });
        let optimal = 0;
        let linear = 0;
        for (const segment of segments) {
          optimal += segment.weight * built.run(segment.start).tests;
          linear += segment.weight * chain.run(segment.start).tests;
        }
        expect(optimal).toBeLessThanOrEqual(linear);
      }),
      { numRuns: 200 },
    );
  });
});
