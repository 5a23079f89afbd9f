/**
 * Policies far larger than any real one: thousands of values on one
 * argument, thousands of syscall numbers. Both layouts must either refuse
 * them at once with a clear error or give a valid program that decides as
 * the policy says; a search that grows quadratically (or worse) would show
 * up here as the vitest timeout.
 */
import { describe, expect, it } from 'vitest';
import { largePolicy, type LargePolicyKind } from '../../bench/large-policy-source.js';
import { BPF_MAXINSNS, makeSeccompData, SECCOMP_RET_ALLOW, SECCOMP_RET_TRAP, simulate, verifyProgram, type Instruction } from '../../src/bpf/index.js';
import { DispatchTooLargeError } from '../../src/bpf/codegen/minijail/dispatch-too-large.js';
import { minimumBstProgramLength } from '../../src/bpf/codegen/minijail/search-tree.js';
import { minimumSearchLength, ProgramTooLongError } from '../../src/bpf/program-length.js';
import { compilePolicyText, type CompiledPolicy } from '../../src/compile.js';
import { evaluatePolicy } from '../../src/policy/evaluate.js';

const FILE = 'large.policy';
type Layout = 'optimized' | 'minijail';

function compile(kind: LargePolicyKind, count: number, layout: Layout, strategy: 'bst' | 'linear' = 'bst'): CompiledPolicy | Error {
  const { text, arch } = largePolicy(kind, count);
  try {
    return compilePolicyText(text, FILE, { arch, layout, strategy, defaultAction: 'trap' });
  } catch (error) {
    if (error instanceof ProgramTooLongError || error instanceof DispatchTooLargeError) return error;
    throw error;
  }
}

/** Listed and unlisted inputs around every 97th listed value: the program must decide as the reference evaluator. */
function checkDecisions(kind: LargePolicyKind, count: number, compiled: CompiledPolicy, layout: Layout): void {
  const { program, ir } = compiled;
  const ioctl = ir.arch.syscalls.get('ioctl')!;
  const seen = new Set<number>();
  for (let index = 0; index < count; index += 97) {
    for (const value of [2 * index, 2 * index + 1, 2 * index + 2]) {
      const data =
        kind === 'argument-values'
          ? makeSeccompData(ioctl, ir.arch.auditArch, [3n, BigInt(value)])
          : makeSeccompData(value, ir.arch.auditArch);
      const action = simulate(program, data).action;
      expect(action, `${kind} value ${value}`).toBe(evaluatePolicy(ir, data, { layout }).action);
      seen.add(action);
    }
  }
  if (kind === 'syscall-numbers-x32') {
    const data = makeSeccompData(0x40000001, ir.arch.auditArch);
    seen.add(simulate(program, data).action);
    expect(simulate(program, data).action, 'the listed number in the x32 range').toBe(evaluatePolicy(ir, data, { layout }).action);
  }
  // Listed values are allowed, the ones between them trap: both must have been exercised.
  expect(seen.has(SECCOMP_RET_ALLOW) && seen.has(SECCOMP_RET_TRAP)).toBe(true);
}

function expectCleanOutcome(kind: LargePolicyKind, count: number, layout: Layout, outcome: CompiledPolicy | Error): void {
  if (outcome instanceof Error) {
    expect(outcome.message).toMatch(new RegExp(`^${FILE}: `));
    if (outcome instanceof ProgramTooLongError) expect(outcome.length).toBeGreaterThan(BPF_MAXINSNS);
    return;
  }
  const program: Instruction[] = outcome.program;
  expect(program.length).toBeLessThanOrEqual(BPF_MAXINSNS);
  verifyProgram(program);
  checkDecisions(kind, count, outcome, layout);
}

describe('large policies compile fast or fail fast', () => {
  for (const kind of ['argument-values', 'syscall-numbers', 'syscall-numbers-x32'] as const) {
    for (const count of [1000, 3000, 10000, 50000]) {
      for (const layout of ['optimized', 'minijail'] as const) {
        it(`${kind}, ${count} distinct values, ${layout} layout: a valid program or a clean error`, () => {
          expectCleanOutcome(kind, count, layout, compile(kind, count, layout));
        });
      }
    }
  }

  it('beyond the lower bound the optimized layout refuses before planning, naming the bound', () => {
    // Values 1, 3, 5, ...: 2n + 1 segments. Numbers 0, 2, 4, ...: 2n, plus the
    // x32 range (x86_64's audit value) and -1 after it, which decides as the
    // default; the number inside the x32 range is taken by the hardening.
    const segments = { 'argument-values': 2 * 10000 + 1, 'syscall-numbers': 2 * 10000 + 2, 'syscall-numbers-x32': 2 * 10000 + 2 };
    for (const kind of ['argument-values', 'syscall-numbers', 'syscall-numbers-x32'] as const) {
      const outcome = compile(kind, 10000, 'optimized');
      expect(outcome).toBeInstanceOf(ProgramTooLongError);
      const error = outcome as ProgramTooLongError;
      expect(error.lowerBound).toBe(true);
      expect(error.length).toBe(minimumSearchLength(segments[kind]));
      expect(error.message).toContain('would need at least');
    }
  });

  it('the optimized layout plans lists above the piecewise threshold into a valid program (1,000 values, 2,001 segments)', () => {
    for (const kind of ['argument-values', 'syscall-numbers', 'syscall-numbers-x32'] as const) {
      const outcome = compile(kind, 1000, 'optimized');
      expect(outcome).not.toBeInstanceOf(Error);
      checkDecisions(kind, 1000, outcome as CompiledPolicy, 'optimized');
    }
  });

  it('the minijail layout refuses a BST dispatch it cannot fit, or cannot plan in time, and compiles it with the linear strategy', () => {
    const hopeless = compile('syscall-numbers', 10000, 'minijail');
    expect(hopeless).toBeInstanceOf(ProgramTooLongError);
    expect((hopeless as ProgramTooLongError).length).toBe(minimumBstProgramLength(10000));
    const slow = compile('syscall-numbers', 1000, 'minijail');
    expect(slow).toBeInstanceOf(DispatchTooLargeError);
    expect((slow as Error).message).toContain('--optimization-strategy linear');
    const linear = compile('syscall-numbers', 1000, 'minijail', 'linear');
    expect(linear).not.toBeInstanceOf(Error);
    checkDecisions('syscall-numbers', 1000, linear as CompiledPolicy, 'minijail');
  });

  it('the lower bounds hold for programs that were actually built', () => {
    // 1,000 spaced values: 2,001 segments in one search, 1,000 ranges in the minijail linear dispatch.
    const optimized = compile('syscall-numbers', 1000, 'optimized') as CompiledPolicy;
    expect(optimized.program.length).toBeGreaterThanOrEqual(minimumSearchLength(2001));
    const small = compile('syscall-numbers', 300, 'minijail') as CompiledPolicy;
    expect(small.program.length).toBeGreaterThanOrEqual(minimumBstProgramLength(300));
  });
});
