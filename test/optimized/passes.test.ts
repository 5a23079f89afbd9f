/** The optimized layout's passes one by one, and the whole pipeline's limits. */
import { describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import { DecisionGraph, runGraph } from '../../src/bpf/codegen/optimized/graph.js';
import { generateMinijailProgram } from '../../src/bpf/codegen/minijail/index.js';
import { buildOptimizedGraph, generateOptimizedProgram } from '../../src/bpf/codegen/optimized/index.js';
import { emitProgram } from '../../src/bpf/codegen/optimized/passes/emit.js';
import { pruneImpliedTests } from '../../src/bpf/codegen/optimized/passes/prune-implied-tests.js';
import { withoutValues } from '../../src/bpf/codegen/optimized/passes/range-tree.js';
import { OP_JA, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, argLowOffset } from '../../src/bpf/instruction.js';
import { ProgramTooLongError } from '../../src/bpf/program-length.js';
import { makeSeccompData } from '../../src/bpf/seccomp-data.js';
import { simulate } from '../../src/bpf/simulate.js';
import { findProgramProblems } from '../../src/bpf/verify.js';
import { action, anyOf, atom, filter, PolicyBuilder } from '../bpf/policy-builder.js';
import { compareLayouts } from './compare.js';
import { generateInputs } from './inputs.js';

const x86 = getShippedArch('x86_64');

describe('prune-implied-tests', () => {
  it('removes a test the path already decided, keeping every outcome', () => {
    const graph = new DecisionGraph();
    const [a, b, c] = [1, 2, 3].map((value) => graph.returnNode(value));
    // nr >= 10 ? (nr >= 5 ? a : b) : c — the inner test always holds.
    const root = graph.testNode(SECCOMP_DATA_NR, 'jge', 10, graph.testNode(SECCOMP_DATA_NR, 'jge', 5, a, b), c);
    const pruned = pruneImpliedTests(graph, root);
    for (const nr of [0, 4, 5, 9, 10, 11, 0xffffffff]) {
      expect(runGraph(pruned.graph, pruned.root, () => nr).value).toBe(runGraph(graph, root, () => nr).value);
    }
    expect(runGraph(pruned.graph, pruned.root, () => 12).testsExecuted).toBe(1);
  });

  it('keeps a test whose outcome differs between the paths that reach it', () => {
    const graph = new DecisionGraph();
    const [a, b] = [1, 2].map((value) => graph.returnNode(value));
    const shared = graph.testNode(SECCOMP_DATA_NR, 'jeq', 7, a, b);
    const root = graph.testNode(SECCOMP_DATA_NR, 'jge', 7, shared, graph.testNode(argLowOffset(0), 'jeq', 1, shared, b));
    const pruned = pruneImpliedTests(graph, root);
    for (const nr of [6, 7, 8]) {
      for (const arg of [0, 1]) {
        const read = (offset: number): number => (offset === SECCOMP_DATA_NR ? nr : arg);
        expect(runGraph(pruned.graph, pruned.root, read).value).toBe(runGraph(graph, root, read).value);
      }
    }
  });
});

describe('emit', () => {
  it('loads a word once for a run of tests on it', () => {
    const graph = new DecisionGraph();
    const allow = graph.returnNode(SECCOMP_RET_ALLOW);
    const deny = graph.returnNode(0);
    let node = deny;
    for (const value of [3, 5, 9]) node = graph.testNode(argLowOffset(1), 'jeq', value, allow, node);
    const program = emitProgram(graph, node);
    expect(program.filter((instruction) => instruction.code === 0x20)).toHaveLength(1);
  });

  it('reaches targets beyond 255 instructions through JA and stays equivalent', () => {
    // Clauses of two atoms are not a switch, so the block is long and its early jumps are far.
    const builder = new PolicyBuilder(x86, { defaultAction: action('trap') });
    const clauses = Array.from({ length: 160 }, (_, index) => [atom(0, '==', index * 3), atom(1, '!=', index)]);
    builder.add('ioctl', [filter(anyOf(...clauses), action('allow')), filter(anyOf([atom(2, '&', 0x10)]), action('errno', 5))]);
    builder.allow('read').allow('write');
    const ir = builder.build();
    const optimized = generateOptimizedProgram(ir);
    expect(optimized.some((instruction) => instruction.code === OP_JA)).toBe(true);
    expect(findProgramProblems(optimized)).toEqual([]);
    const result = compareLayouts(ir, generateMinijailProgram(ir), optimized, generateInputs(ir, { minimum: 4000 }));
    expect(result.problems).toEqual([]);
  });
});

describe('range tree peeling', () => {
  it('withoutValues folds a peeled value into its neighbours, merging equal ones', () => {
    const segments = [
      { start: 0, end: 4, outcome: 9, weight: 0 },
      { start: 5, end: 5, outcome: 1, weight: 10 },
      { start: 6, end: 6, outcome: 2, weight: 100 },
      { start: 7, end: 7, outcome: 1, weight: 10 },
      { start: 8, end: 20, outcome: 9, weight: 0 },
    ];
    expect(withoutValues(segments, new Set([6]), 9).map((segment) => [segment.start, segment.end, segment.outcome])).toEqual([
      [0, 4, 9],
      [5, 7, 1],
      [8, 20, 9],
    ]);
    expect(withoutValues(segments, new Set([5]), 9).map((segment) => [segment.start, segment.end, segment.outcome])).toEqual([
      [0, 5, 9],
      [6, 6, 2],
      [7, 7, 1],
      [8, 20, 9],
    ]);
  });
});

describe('whole pipeline', () => {
  it('throws ProgramTooLongError above 4096 instructions', () => {
    const builder = new PolicyBuilder(x86);
    const names = [...x86.syscalls.keys()].slice(0, 300);
    names.forEach((name, index) =>
      builder.allowIf(name, anyOf([atom(0, '==', index), atom(3, '>', 7)], [atom(1, '==', index), atom(4, '<', 9)], [atom(2, '==', index), atom(5, '&', 2)])),
    );
    expect(() => generateOptimizedProgram(builder.build())).toThrow(ProgramTooLongError);
  });

  it('kills x32 numbers and leaves -1 to the default, on x86_64 only', () => {
    const policy = (archName: 'x86_64' | 'aarch64') => {
      const arch = getShippedArch(archName);
      return { arch, program: generateOptimizedProgram(new PolicyBuilder(arch, { defaultAction: action('trap') }).allow('read').build()) };
    };
    const { arch, program } = policy('x86_64');
    const run = (nr: number) => simulate(program, makeSeccompData(nr, arch.auditArch)).action;
    expect(run(0x40000000)).toBe(0x80000000);
    expect(run(0xfffffffe)).toBe(0x80000000);
    expect(run(0xffffffff)).toBe(0x00030000);
    expect(run(0x3fffffff)).toBe(0x00030000);
    const other = policy('aarch64');
    expect(simulate(other.program, makeSeccompData(0x40000000, other.arch.auditArch)).action).toBe(0x00030000);
    expect(simulate(other.program, makeSeccompData(63, 0xc000003e)).action).toBe(0x80000000);
  });

  it('builds the graph once per pass: the pruned graph is what gets emitted', () => {
    const ir = new PolicyBuilder(x86).allow('read').allowIf('write', anyOf([atom(0, '==', 1)], [atom(0, '==', 2)])).build();
    const { graph, root } = buildOptimizedGraph(ir);
    expect(emitProgram(graph, root)).toEqual(generateOptimizedProgram(ir));
  });
});

describe('decideTest', () => {
  it('decides a mask test on a word known to be non-zero when the mask covers every bit it may have', async () => {
    const { decideTest } = await import('../../src/bpf/codegen/optimized/passes/prune-implied-tests.js');
    const nonZero = { min: 1, max: 0xffffffff, zeros: 0, ones: 0 };
    expect(decideTest({ operator: 'jset', operand: 0xffffffff }, nonZero)).toBe(true);
    expect(decideTest({ operator: 'jset', operand: 0xfffffffe }, nonZero)).toBeUndefined();
    // Bits 0..3 may be set, one of them is: any mask over 0xf holds.
    expect(decideTest({ operator: 'jset', operand: 0xf }, { min: 1, max: 0xf, zeros: 0xfffffff0, ones: 0 })).toBe(true);
    expect(decideTest({ operator: 'jset', operand: 0x7 }, { min: 1, max: 0xf, zeros: 0xfffffff0, ones: 0 })).toBeUndefined();
    expect(decideTest({ operator: 'jset', operand: 0xffffffff }, { min: 0, max: 0xffffffff, zeros: 0, ones: 0 })).toBeUndefined();
  });
});
