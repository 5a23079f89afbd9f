/**
 * The parts of the cross-arch harness that need no kernel: the path search
 * that derives cases from a filter, the case selection, and the mapping from
 * a filter's action to what the probe must observe.
 */
import { describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import {
  BPF_JEQ,
  BPF_JGE,
  BPF_JSET,
  SECCOMP_DATA_IP_LO,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRAP,
  loadAbsolute,
  ret,
  simulate,
} from '../../src/bpf/index.js';
import { BPF_AND } from '../../src/bpf/opcodes.js';
import { actionCoverageFilters } from './filters.js';
import { chooseObserverErrno, describeOutcome, expectedOutcome } from './outcome.js';
import { selectCases } from './select-cases.js';
import { UnsupportedProgramError, findPathInputs, solveWord } from './symbolic-paths.js';

const test = (jump: number, k: number, taken: boolean, mask?: number) => ({
  offset: 16,
  steps: mask === undefined ? [] : [{ op: BPF_AND, operand: mask }],
  jump,
  k,
  taken,
});

describe('solveWord', () => {
  it('finds a value meeting masked equalities, ranges and bit tests together', () => {
    const tests = [test(BPF_JEQ, 0x12, true, 0xff), test(BPF_JEQ, 0x3400, true, 0xff00), test(BPF_JGE, 0x10000, true), test(BPF_JSET, 0x80000000, false)];
    const value = solveWord(tests) as number;
    expect(value).toBeDefined();
    expect(value & 0xffff).toBe(0x3412);
    expect(value).toBeGreaterThanOrEqual(0x10000);
    expect(value & 0x80000000).toBe(0);
  });

  it('says so when the tests contradict each other', () => {
    expect(solveWord([test(BPF_JEQ, 5, true), test(BPF_JEQ, 6, true)])).toBeUndefined();
    expect(solveWord([test(BPF_JGE, 10, true), test(BPF_JGE, 11, false), test(BPF_JEQ, 10, false)])).toBeUndefined();
  });
});

describe('findPathInputs', () => {
  it('reaches every RET but the arch-mismatch one, with inputs the simulator agrees with', () => {
    for (const filter of actionCoverageFilters()) {
      const { program, probeTable } = filter;
      const reached = new Set<number>();
      for (const nr of probeTable.syscalls.values()) {
        const result = findPathInputs(program, { nr, auditArch: probeTable.auditArch, bits: probeTable.bits });
        expect(result.budgetExhausted).toBe(false);
        for (const input of result.inputs) {
          const simulated = simulate(program, { nr, arch: probeTable.auditArch, instructionPointer: 0n, args: input.args });
          expect(simulated.returnIndex, `${filter.name} nr ${nr}`).toBe(input.returnIndex);
          reached.add(input.returnIndex);
        }
      }
      const returns = program.flatMap((instruction, index) => ((instruction.code & 7) === 6 ? [index] : []));
      // The arch-mismatch RET needs another arch; the x86_64 optimized layout's x32 RET another number range.
      const unreached = returns.filter((index) => !reached.has(index));
      expect(unreached.length, filter.name).toBeLessThanOrEqual(filter.probeArch === 'x86_64' && filter.name.includes('[optimized]') ? 2 : 1);
    }
  });

  it('keeps 64-bit arguments whole on 64-bit arches and the high word 0 on arm', () => {
    const coverage = actionCoverageFilters();
    const aarch64 = coverage.find((filter) => filter.probeArch === 'aarch64' && filter.name.includes('[optimized]'));
    const mmap = getShippedArch('aarch64').syscalls.get('mmap') as number;
    const inputs = findPathInputs(aarch64!.program, { nr: mmap, auditArch: getShippedArch('aarch64').auditArch, bits: 64 }).inputs;
    expect(inputs.some((input) => input.args.some((value) => value >> 32n !== 0n))).toBe(true);
    const arm = coverage.find((filter) => filter.probeArch === 'arm');
    for (const nr of getShippedArch('arm').syscalls.values()) {
      for (const input of findPathInputs(arm!.program, { nr, auditArch: getShippedArch('arm').auditArch, bits: 32 }).inputs) {
        expect(input.args.every((value) => value < 0x1_0000_0000n)).toBe(true);
      }
    }
  });

  it('refuses a filter that reads the instruction pointer (the probe cannot predict it)', () => {
    const program = [loadAbsolute(SECCOMP_DATA_IP_LO), ret(SECCOMP_RET_ALLOW)];
    expect(() => findPathInputs(program, { nr: 0, auditArch: 0xc000003e, bits: 64 })).toThrow(UnsupportedProgramError);
  });
});

describe('selectCases', () => {
  it('gives each named syscall a case per action it can take, and samples the unlisted ones', () => {
    const filter = actionCoverageFilters().find((candidate) => candidate.probeArch === 'x86_64' && candidate.name.includes('[minijail]'))!;
    const table = filter.probeTable;
    const selection = selectCases(filter.program, { auditArch: table.auditArch, bits: table.bits, syscallNumbers: table.syscalls.values(), unlistedSample: 5 });
    const actionsOf = (name: string) => new Set(selection.cases.filter((probeCase) => probeCase.nr === table.syscalls.get(name)).map((probeCase) => probeCase.expectedAction));
    expect(actionsOf('ioctl')).toEqual(new Set([SECCOMP_RET_ALLOW, (SECCOMP_RET_ERRNO | 25) >>> 0, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP]));
    expect(actionsOf('getuid')).toEqual(new Set([SECCOMP_RET_KILL_PROCESS]));
    expect(actionsOf('geteuid')).toEqual(new Set([SECCOMP_RET_LOG]));
    expect(selection.cases.filter((probeCase) => probeCase.kind === 'unlisted')).toHaveLength(5);
    expect(selection.cases.filter((probeCase) => probeCase.kind === 'unlisted').every((probeCase) => probeCase.expectedAction === SECCOMP_RET_TRAP)).toBe(true);
  });
});

describe('expectedOutcome', () => {
  it('maps each action to what the probe observes with the observer filter underneath', () => {
    const arm = 0x40000028;
    expect(expectedOutcome(SECCOMP_RET_ALLOW, 20, arm)).toBe('a');
    expect(expectedOutcome(SECCOMP_RET_LOG, 20, arm)).toBe('a');
    expect(expectedOutcome((SECCOMP_RET_ERRNO | 13) >>> 0, 20, arm)).toBe('e13');
    expect(expectedOutcome(SECCOMP_RET_ERRNO, 20, arm)).toBe('r0');
    expect(expectedOutcome((SECCOMP_RET_ERRNO | 0xffff) >>> 0, 20, arm)).toBe('e4095');
    expect(expectedOutcome((SECCOMP_RET_TRAP | 7) >>> 0, 0xffffffff, arm)).toBe('t1,7,-1,40000028');
    expect(expectedOutcome(SECCOMP_RET_KILL_THREAD, 20, arm)).toBe('K');
    expect(expectedOutcome(SECCOMP_RET_KILL_PROCESS, 20, arm)).toBe('k31');
    expect(() => expectedOutcome(0x00010000, 20, arm)).toThrow(/no defined kernel outcome/);
    expect(describeOutcome('t1,7,-1,40000028')).toBe('SIGSYS trap (si_code 1, data 7, syscall -1, arch 0x40000028)');
  });

  it('never picks an observer errno that a filter returns', () => {
    expect(chooseObserverErrno([(SECCOMP_RET_ERRNO | 4001) >>> 0, (SECCOMP_RET_ERRNO | 4002) >>> 0, SECCOMP_RET_ALLOW])).toBe(4003);
  });
});
