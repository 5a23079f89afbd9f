import { describe, expect, it } from 'vitest';
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../../src/bpf/audit-arch.js';
import { decodeProgram } from '../../src/bpf/decode.js';
import { BPF_A, instruction, loadAbsolute, OP_JA, OP_JEQ_K, OP_JGE_K, OP_JGT_K, OP_JSET_K, ret, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG, SECCOMP_RET_TRAP } from '../../src/bpf/instruction.js';
import { cachedSyscalls, isConstantAllow } from '../../src/bpf/kernel-cache.js';
import { BPF_ADD, BPF_ALU, BPF_AND, BPF_K, BPF_LD, BPF_RET } from '../../src/bpf/opcodes.js';
import { BPF_IMM } from '../../src/bpf/instruction.js';
import { makeSeccompData } from '../../src/bpf/seccomp-data.js';
import { simulate } from '../../src/bpf/simulate.js';
import { corpusArch, haveCorpus, readExpected } from './corpus.js';

const ALLOW = ret(SECCOMP_RET_ALLOW);
const TRAP = ret(SECCOMP_RET_TRAP);
/** arch check, then: nr == 3 → allow; nr == 5 → look at arg0; otherwise trap. */
const program = [
  loadAbsolute(4),
  instruction(OP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
  ret(SECCOMP_RET_KILL_THREAD),
  loadAbsolute(0),
  instruction(OP_JEQ_K, 3, 3, 0),
  instruction(OP_JEQ_K, 5, 0, 1),
  loadAbsolute(16),
  TRAP,
  ALLOW,
];

describe('kernel action cache', () => {
  it('caches syscalls that reach RET ALLOW from nr and arch alone', () => {
    expect(cachedSyscalls(program, AUDIT_ARCH_X86_64, [0, 1, 2, 3, 4, 5, 6])).toEqual([3]);
    expect(cachedSyscalls(program, AUDIT_ARCH_I386, [3])).toEqual([]);
  });

  it('gives up on any load other than nr and arch', () => {
    expect(isConstantAllow(program, 5, AUDIT_ARCH_X86_64)).toBe(false);
    expect(isConstantAllow([loadAbsolute(8), ALLOW], 0, 0)).toBe(false);
    expect(isConstantAllow([loadAbsolute(0), ALLOW], 0, 0)).toBe(true);
  });

  it('understands JA, JGT, JGE, JSET and ALU AND with a constant', () => {
    const allowWhen = (test: ReturnType<typeof instruction>, nr: number) =>
      isConstantAllow([loadAbsolute(0), test, TRAP, ALLOW], nr, 0);
    expect([allowWhen(instruction(OP_JGT_K, 10, 1, 0), 11), allowWhen(instruction(OP_JGT_K, 10, 1, 0), 10)]).toEqual([true, false]);
    expect([allowWhen(instruction(OP_JGE_K, 10, 1, 0), 10), allowWhen(instruction(OP_JGE_K, 10, 1, 0), 9)]).toEqual([true, false]);
    expect([allowWhen(instruction(OP_JSET_K, 4, 1, 0), 6), allowWhen(instruction(OP_JSET_K, 4, 1, 0), 3)]).toEqual([true, false]);
    expect(isConstantAllow([loadAbsolute(0), instruction(BPF_ALU | BPF_AND | BPF_K, 0xf0), instruction(OP_JEQ_K, 0x10, 1, 0), TRAP, ALLOW], 0x13, 0)).toBe(true);
    expect(isConstantAllow([instruction(OP_JA, 1), TRAP, ALLOW], 0, 0)).toBe(true);
  });

  it('gives up on everything else it does not emulate', () => {
    expect(isConstantAllow([instruction(BPF_LD | BPF_IMM, 0), ALLOW], 0, 0)).toBe(false);
    expect(isConstantAllow([loadAbsolute(0), instruction(BPF_ALU | BPF_ADD | BPF_K, 1), ALLOW], 0, 0)).toBe(false);
    expect(isConstantAllow([instruction(BPF_RET | BPF_A)], SECCOMP_RET_ALLOW, 0)).toBe(false);
    expect(isConstantAllow([loadAbsolute(0)], 0, 0)).toBe(false);
  });

  it('only an exact RET ALLOW counts', () => {
    expect(isConstantAllow([ret(SECCOMP_RET_LOG)], 0, 0)).toBe(false);
    expect(isConstantAllow([ret(SECCOMP_RET_ERRNO)], 0, 0)).toBe(false);
    expect(isConstantAllow([ret(SECCOMP_RET_ALLOW | 1)], 0, 0)).toBe(false);
  });

  it('never caches x32 numbers, negative numbers or numbers past the table', () => {
    expect(cachedSyscalls([ALLOW], AUDIT_ARCH_X86_64, [0, 0x40000000 | 3, -1, 0x80000000])).toEqual([0]);
    expect(cachedSyscalls([ALLOW], AUDIT_ARCH_I386, [0x40000000 | 3])).toEqual([0x40000003]);
    expect(cachedSyscalls([ALLOW], AUDIT_ARCH_X86_64, [1, 500], { tableSize: 463 })).toEqual([1]);
  });

  it.skipIf(!haveCorpus)('agrees with the simulator on a crosvm program: cached syscalls are allowed for any arguments (needs ../shared/corpus)', () => {
    const block = decodeProgram(readExpected('crosvm-2023/x86_64/block_device.bpf'));
    const arch = corpusArch('x86_64');
    const numbers = [...new Set(arch.syscalls.values())];
    const cached = cachedSyscalls(block, AUDIT_ARCH_X86_64, numbers);
    expect(cached.length).toBeGreaterThan(10);
    for (const nr of numbers) {
      const allowed = [0n, 1n, 0xffffffffffffffffn].every(
        (value) => simulate(block, makeSeccompData(nr, AUDIT_ARCH_X86_64, new Array(6).fill(value))).action === SECCOMP_RET_ALLOW,
      );
      if (cached.includes(nr)) expect(allowed, `nr ${nr}`).toBe(true);
    }
    // read (0) is plainly allowed in the block device policy; openat (257) is filtered by arguments.
    expect(cached).toContain(arch.syscalls.get('read'));
    expect(cached).not.toContain(arch.syscalls.get('openat'));
  });
});
