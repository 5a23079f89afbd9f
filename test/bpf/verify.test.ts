import { describe, expect, it } from 'vitest';
import { decodeProgram } from '../../src/bpf/decode.js';
import { BPF_A, BPF_ABS, BPF_IMM, BPF_JSET, BPF_LEN, BPF_MEM, BPF_W, instruction, loadAbsolute, OP_JA, OP_JEQ_K, ret, SECCOMP_RET_ALLOW, type Instruction } from '../../src/bpf/instruction.js';
import { BPF_ALU, BPF_B, BPF_DIV, BPF_H, BPF_IND, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MOD, BPF_MSH, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_X } from '../../src/bpf/opcodes.js';

const BPF_JSET_X = BPF_JMP | BPF_JSET | BPF_X;
import { findProgramProblems, InvalidProgramError, verifyProgram } from '../../src/bpf/verify.js';
import { expectedBpfFiles, haveCorpus, readExpected } from './corpus.js';

const ALLOW = ret(SECCOMP_RET_ALLOW);
const rules = (program: Instruction[]) => findProgramProblems(program).map((problem) => `${problem.index}:${problem.rule}`);

describe('verify', () => {
  it.skipIf(!haveCorpus)('accepts every corpus program (needs ../shared/corpus)', () => {
    for (const file of expectedBpfFiles()) {
      const program = decodeProgram(readExpected(file));
      expect(findProgramProblems(program), file).toEqual([]);
    }
  });

  it('accepts every opcode seccomp allows, used correctly', () => {
    const program = [
      instruction(BPF_LD | BPF_W | BPF_LEN),
      instruction(BPF_LDX | BPF_W | BPF_LEN),
      instruction(BPF_LD | BPF_IMM, 3),
      instruction(BPF_LDX | BPF_IMM, 3),
      instruction(BPF_ST, 0),
      instruction(BPF_STX, 15),
      instruction(BPF_LD | BPF_MEM, 0),
      instruction(BPF_LDX | BPF_MEM, 15),
      instruction(BPF_ALU | BPF_DIV | BPF_K, 2),
      instruction(BPF_ALU | BPF_LSH | BPF_K, 31),
      loadAbsolute(60),
      instruction(BPF_JSET_X, 0, 0, 1),
      instruction(OP_JA, 0),
      instruction(BPF_RET | BPF_A),
    ];
    expect(findProgramProblems(program)).toEqual([]);
    expect(() => verifyProgram(program)).not.toThrow();
  });

  it('length must be 1..4096', () => {
    expect(rules([])).toEqual(['null:length']);
    expect(rules(new Array(4096).fill(ALLOW))).toEqual([]);
    expect(rules(new Array(4097).fill(ALLOW))).toEqual(['null:length']);
  });

  it('only opcodes seccomp accepts', () => {
    for (const code of [BPF_ALU | BPF_MOD | BPF_K, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_W | BPF_IND, BPF_LDX | BPF_B | BPF_MSH, 0x0e, 0xff, 0x100 | BPF_RET]) {
      expect(rules([instruction(code, 1), ALLOW]), `0x${code.toString(16)}`).toEqual(['0:opcode']);
    }
    expect(findProgramProblems([instruction(BPF_ALU | BPF_MOD | BPF_K, 1), ALLOW])[0].reason).toMatch(/socket filters but not in seccomp/);
  });

  it('loads must be aligned and inside seccomp_data', () => {
    expect(rules([loadAbsolute(64), ALLOW])).toEqual(['0:load-offset']);
    expect(rules([loadAbsolute(18), ALLOW])).toEqual(['0:load-offset']);
    expect(rules([loadAbsolute(0xfffff000), ALLOW])).toEqual(['0:load-offset']);
  });

  it('no division by the constant zero, no constant shift of 32 or more', () => {
    expect(rules([instruction(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW])).toEqual(['0:division-by-zero']);
    expect(rules([instruction(BPF_ALU | BPF_DIV | BPF_X), ALLOW])).toEqual([]);
    expect(rules([instruction(BPF_ALU | BPF_RSH | BPF_K, 32), ALLOW])).toEqual(['0:shift-count']);
    expect(rules([instruction(BPF_ALU | BPF_LSH | BPF_X), ALLOW])).toEqual([]);
  });

  it('scratch memory slots below 16', () => {
    expect(rules([instruction(BPF_ST, 16), ALLOW])).toEqual(['0:memory-slot']);
    expect(rules([instruction(BPF_LDX | BPF_MEM, 99), ALLOW])).toEqual(['0:memory-slot']);
  });

  it('every jump lands inside the program', () => {
    expect(rules([instruction(OP_JA, 1), ALLOW])).toEqual(['0:jump-target']);
    expect(rules([instruction(OP_JA, 0xffffffff), ALLOW])).toEqual(['0:jump-target']);
    expect(rules([instruction(OP_JEQ_K, 0, 0, 1), ALLOW])).toEqual(['0:jump-target']);
    expect(rules([instruction(OP_JEQ_K, 0, 1, 0), ALLOW])).toEqual(['0:jump-target']);
    expect(rules([instruction(BPF_JMP | 0x10 | BPF_X, 0, 0, 0), ALLOW])).toEqual([]);
  });

  it('the last instruction is RET K or RET A; RETs elsewhere are fine', () => {
    expect(rules([ALLOW, loadAbsolute(0)])).toEqual(['1:last-instruction']);
    expect(rules([ALLOW, instruction(BPF_RET | BPF_A)])).toEqual([]);
  });

  it('scratch memory is stored on every path before it is read', () => {
    expect(rules([instruction(BPF_LD | BPF_MEM, 1), ALLOW])).toEqual(['0:uninitialized-memory']);
    // Stored on the fall-through path only: the jump skips the store.
    expect(rules([instruction(OP_JEQ_K, 0, 1, 0), instruction(BPF_ST, 1), instruction(BPF_LD | BPF_MEM, 1), ALLOW])).toEqual(['2:uninitialized-memory']);
    expect(rules([instruction(BPF_ST, 1), instruction(OP_JEQ_K, 0, 1, 0), instruction(BPF_ST, 2), instruction(BPF_LD | BPF_MEM, 1), ALLOW])).toEqual([]);
  });

  it('throws InvalidProgramError listing every problem', () => {
    try {
      verifyProgram([loadAbsolute(64), instruction(BPF_ST, 20), loadAbsolute(0)]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidProgramError);
      const problems = (error as InvalidProgramError).problems.map((problem) => problem.rule);
      expect(problems).toEqual(['load-offset', 'memory-slot', 'last-instruction']);
      expect((error as Error).message).toMatch(/instruction 0: load at offset 64/);
    }
  });
});
