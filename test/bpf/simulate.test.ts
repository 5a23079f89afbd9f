import { describe, expect, it } from 'vitest';
import { instruction, loadAbsolute, OP_JA, OP_JEQ_K, OP_JGE_K, OP_JGT_K, OP_JSET_K, ret, SECCOMP_RET_ALLOW, SECCOMP_RET_TRAP } from '../../src/bpf/instruction.js';
import {
  BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MISC, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_X, BPF_XOR, BPF_H,
} from '../../src/bpf/opcodes.js';
import { BPF_A, BPF_ABS, BPF_IMM, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_LEN, BPF_MEM, BPF_W } from '../../src/bpf/instruction.js';
import { makeSeccompData } from '../../src/bpf/seccomp-data.js';
import { simulate, SimulationError } from '../../src/bpf/simulate.js';

const data = makeSeccompData(7, 0xc000003e, [0xaaaaaaaa_bbbbbbbbn, 5n, -1n], 0x1122334455667788n);
const RET_A = instruction(BPF_RET | BPF_A);
const loadImmediate = (k: number) => instruction(BPF_LD | BPF_IMM, k);
const loadIndexImmediate = (k: number) => instruction(BPF_LDX | BPF_IMM, k);
/** A after running `body`, returned with RET A. */
const accumulatorAfter = (...body: ReturnType<typeof instruction>[]) => simulate([...body, RET_A], data).action;

describe('simulate: loads', () => {
  it('reads every seccomp_data word, little-endian', () => {
    const word = (offset: number) => accumulatorAfter(loadAbsolute(offset));
    expect(word(0)).toBe(7);
    expect(word(4)).toBe(0xc000003e);
    expect(word(8)).toBe(0x55667788);
    expect(word(12)).toBe(0x11223344);
    expect(word(16)).toBe(0xbbbbbbbb);
    expect(word(20)).toBe(0xaaaaaaaa);
    expect(word(24)).toBe(5);
    expect(word(28)).toBe(0);
    expect(word(32)).toBe(0xffffffff);
    expect(word(36)).toBe(0xffffffff);
    expect(word(60)).toBe(0); // arg5 hi, absent: zero
  });

  it('LD/LDX LEN give the seccomp_data size, IMM the constant', () => {
    expect(accumulatorAfter(instruction(BPF_LD | BPF_W | BPF_LEN))).toBe(64);
    expect(accumulatorAfter(instruction(BPF_LDX | BPF_W | BPF_LEN), instruction(BPF_MISC | BPF_TXA))).toBe(64);
    expect(accumulatorAfter(loadImmediate(0xdeadbeef))).toBe(0xdeadbeef);
  });

  it('stores and loads scratch memory from A and X', () => {
    expect(accumulatorAfter(loadImmediate(9), instruction(BPF_ST, 3), loadImmediate(0), instruction(BPF_LD | BPF_MEM, 3))).toBe(9);
    expect(accumulatorAfter(loadIndexImmediate(11), instruction(BPF_STX, 15), instruction(BPF_LDX | BPF_MEM, 15), instruction(BPF_MISC | BPF_TXA))).toBe(11);
  });

  it('moves between A and X', () => {
    expect(accumulatorAfter(loadImmediate(4), instruction(BPF_MISC | BPF_TAX), loadImmediate(0), instruction(BPF_MISC | BPF_TXA))).toBe(4);
  });

  it('refuses loads the kernel refuses', () => {
    const failure = (program: ReturnType<typeof instruction>[]) => {
      try {
        simulate(program, data);
      } catch (error) {
        expect(error).toBeInstanceOf(SimulationError);
        return (error as SimulationError).failure;
      }
      return 'none';
    };
    expect(failure([loadAbsolute(64), RET_A])).toBe('load-out-of-range');
    expect(failure([loadAbsolute(2), RET_A])).toBe('unaligned-load');
    expect(failure([instruction(BPF_LD | BPF_H | BPF_ABS, 0), RET_A])).toBe('unsupported-opcode');
    expect(failure([instruction(BPF_LD | BPF_MEM, 16), RET_A])).toBe('memory-slot-out-of-range');
    expect(failure([instruction(BPF_LD | BPF_MEM, 2), RET_A])).toBe('uninitialized-memory');
    expect(failure([instruction(BPF_ST, 16), RET_A])).toBe('memory-slot-out-of-range');
  });
});

describe('simulate: ALU', () => {
  const aluK = (op: number, a: number, k: number) => accumulatorAfter(loadImmediate(a), instruction(BPF_ALU | op | BPF_K, k));
  const aluX = (op: number, a: number, x: number) => accumulatorAfter(loadIndexImmediate(x), loadImmediate(a), instruction(BPF_ALU | op | BPF_X));

  it('computes 32-bit unsigned results with K and X operands', () => {
    for (const alu of [aluK, aluX]) {
      expect(alu(BPF_ADD, 0xffffffff, 2)).toBe(1);
      expect(alu(BPF_SUB, 1, 2)).toBe(0xffffffff);
      expect(alu(BPF_MUL, 0x10000, 0x10001)).toBe(0x10000);
      expect(alu(BPF_DIV, 0xffffffff, 16)).toBe(0x0fffffff);
      expect(alu(BPF_AND, 0xff00ff00, 0x0ff00ff0)).toBe(0x0f000f00);
      expect(alu(BPF_OR, 0xf0000000, 0x0f)).toBe(0xf000000f);
      expect(alu(BPF_XOR, 0xffffffff, 0x0f0f0f0f)).toBe(0xf0f0f0f0);
      expect(alu(BPF_LSH, 0x80000001, 1)).toBe(2);
      expect(alu(BPF_RSH, 0x80000000, 31)).toBe(1);
    }
    expect(accumulatorAfter(loadImmediate(1), instruction(BPF_ALU | BPF_NEG))).toBe(0xffffffff);
  });

  it('masks variable shift counts to 5 bits', () => {
    expect(aluX(BPF_LSH, 1, 33)).toBe(2);
  });

  it('ends the program with 0 on division by X = 0, as the kernel does', () => {
    const result = simulate([loadIndexImmediate(0), loadImmediate(5), instruction(BPF_ALU | BPF_DIV | BPF_X), ret(SECCOMP_RET_ALLOW)], data);
    expect(result).toEqual({ action: 0, instructionsExecuted: 3, returnIndex: 2 });
  });

  it('refuses what seccomp refuses: constant division by zero, MOD, big constant shifts', () => {
    expect(() => aluK(BPF_DIV, 1, 0)).toThrow(/division by the constant 0/);
    expect(() => aluK(BPF_MOD, 7, 2)).toThrow(SimulationError);
    expect(() => aluK(BPF_LSH, 7, 32)).toThrow(/shift by 32/);
  });
});

describe('simulate: jumps and returns', () => {
  const branch = (code: number, a: number, k: number) =>
    simulate([loadImmediate(a), instruction(code, k, 1, 0), ret(SECCOMP_RET_TRAP), ret(SECCOMP_RET_ALLOW)], data).action === SECCOMP_RET_ALLOW;

  it('evaluates JEQ, JGT, JGE, JSET against K (unsigned)', () => {
    expect([branch(OP_JEQ_K, 5, 5), branch(OP_JEQ_K, 5, 6)]).toEqual([true, false]);
    expect([branch(OP_JGT_K, 0x80000000, 1), branch(OP_JGT_K, 5, 5)]).toEqual([true, false]);
    expect([branch(OP_JGE_K, 5, 5), branch(OP_JGE_K, 4, 5)]).toEqual([true, false]);
    expect([branch(OP_JSET_K, 6, 2), branch(OP_JSET_K, 6, 1)]).toEqual([true, false]);
  });

  it('evaluates the X forms against X', () => {
    const byX = (op: number, a: number, x: number) =>
      simulate([loadIndexImmediate(x), loadImmediate(a), instruction(BPF_JMP | op | BPF_X, 0, 1, 0), ret(SECCOMP_RET_TRAP), ret(SECCOMP_RET_ALLOW)], data).action === SECCOMP_RET_ALLOW;
    expect([byX(BPF_JEQ, 3, 3), byX(BPF_JGT, 3, 3), byX(BPF_JGE, 3, 3), byX(BPF_JSET, 3, 4)]).toEqual([true, false, true, false]);
  });

  it('counts instructions and reports the deciding RET', () => {
    const program = [loadAbsolute(0), instruction(OP_JA, 2), ret(SECCOMP_RET_TRAP), ret(SECCOMP_RET_TRAP), instruction(OP_JEQ_K, 7, 1, 0), ret(SECCOMP_RET_TRAP), ret(SECCOMP_RET_ALLOW)];
    expect(simulate(program, data)).toEqual({ action: SECCOMP_RET_ALLOW, instructionsExecuted: 4, returnIndex: 6 });
  });

  it('RET A returns the accumulator', () => {
    expect(simulate([loadAbsolute(4), RET_A], data).action).toBe(0xc000003e);
  });

  it('reports jumps past the end and running off the end', () => {
    expect(() => simulate([instruction(OP_JA, 5), RET_A], data)).toThrow(/jump to 6 leaves/);
    expect(() => simulate([instruction(OP_JEQ_K, 1, 0, 3), RET_A], data)).toThrow(/jump to 4 leaves/);
    expect(() => simulate([loadAbsolute(0)], data)).toThrow(/ran past the last instruction/);
    expect(() => simulate([], data)).toThrow(/ran past the last instruction/);
  });
});
