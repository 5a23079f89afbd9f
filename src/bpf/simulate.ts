/**
 * Runs a classic BPF program on one seccomp_data the way the kernel does
 * after accepting it as a seccomp filter: accumulator A, index register X,
 * sixteen scratch words M[], 32-bit unsigned arithmetic, forward jumps.
 * Inputs the kernel would have refused at load time (bad opcode, load outside
 * seccomp_data, jump past the end, ...) are reported as SimulationError
 * instead of being given a made-up meaning.
 */
import { readSeccompDataWord, type SeccompData } from './seccomp-data.js';
import { BPF_A, BPF_ABS, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_LEN, BPF_MEM, BPF_W, SECCOMP_DATA_SIZE, type Instruction } from './instruction.js';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_XOR,
  instructionClass,
  operation,
  source,
} from './opcodes.js';

export type { SeccompData } from './seccomp-data.js';

export interface SimulationResult {
  /** The RET value: action and data (SECCOMP_RET_*). */
  readonly action: number;
  /** Instructions run, the RET included. */
  readonly instructionsExecuted: number;
  /** Index of the instruction that decided (a RET, or a division by X = 0, which returns 0). */
  readonly returnIndex: number;
}

export type SimulationFailure =
  | 'unsupported-opcode'
  | 'load-out-of-range'
  | 'unaligned-load'
  | 'memory-slot-out-of-range'
  | 'uninitialized-memory'
  | 'division-by-zero-constant'
  | 'shift-too-large'
  | 'jump-out-of-range'
  | 'ran-off-end';

/** The program cannot run on this input the way the kernel would run it. */
export class SimulationError extends Error {
  constructor(
    readonly index: number,
    readonly failure: SimulationFailure,
    detail: string,
  ) {
    super(`instruction ${index}: ${detail}`);
    this.name = 'SimulationError';
  }
}

const jumpTaken = (op: number, accumulator: number, operand: number): boolean | undefined => {
  switch (op) {
    case BPF_JEQ:
      return accumulator === operand;
    case BPF_JGT:
      return accumulator > operand;
    case BPF_JGE:
      return accumulator >= operand;
    case BPF_JSET:
      return (accumulator & operand) !== 0;
    default:
      return undefined;
  }
};

/** 32-bit ALU operation; undefined for operations seccomp refuses (BPF_MOD and unknown ones). */
function alu(op: number, accumulator: number, operand: number): number | undefined {
  switch (op) {
    case BPF_ADD:
      return (accumulator + operand) >>> 0;
    case BPF_SUB:
      return (accumulator - operand) >>> 0;
    case BPF_MUL:
      return Math.imul(accumulator, operand) >>> 0;
    case BPF_DIV:
      return Math.floor(accumulator / operand) >>> 0;
    case BPF_OR:
      return (accumulator | operand) >>> 0;
    case BPF_AND:
      return (accumulator & operand) >>> 0;
    case BPF_XOR:
      return (accumulator ^ operand) >>> 0;
    // The interpreter masks the count to 5 bits (and x86 does in hardware);
    // constant counts of 32 or more are refused at load time.
    case BPF_LSH:
      return (accumulator << (operand & 31)) >>> 0;
    case BPF_RSH:
      return accumulator >>> (operand & 31);
    default:
      return undefined;
  }
}

export function simulate(program: readonly Instruction[], data: SeccompData): SimulationResult {
  let accumulator = 0;
  let index = 0;
  const memory: (number | undefined)[] = new Array(BPF_MEMWORDS).fill(undefined);
  let executed = 0;
  let pc = 0;

  const fail = (failure: SimulationFailure, detail: string): never => {
    throw new SimulationError(pc, failure, detail);
  };
  const memorySlot = (k: number): number =>
    k < BPF_MEMWORDS ? k : fail('memory-slot-out-of-range', `scratch memory slot ${k} does not exist (M[0..${BPF_MEMWORDS - 1}])`);
  const readMemory = (k: number): number =>
    memory[memorySlot(k)] ?? fail('uninitialized-memory', `M[${k}] is read before anything is stored in it`);
  const unsupported = (code: number): never =>
    fail('unsupported-opcode', `opcode 0x${code.toString(16)} is not accepted in seccomp filters`);

  while (true) {
    if (pc >= program.length) {
      pc = Math.max(0, program.length - 1);
      fail('ran-off-end', 'execution ran past the last instruction without a RET');
    }
    const { code, jt, jf, k } = program[pc];
    executed += 1;
    let next = pc + 1;
    switch (instructionClass(code)) {
      case BPF_LD:
        if (code === (BPF_LD | BPF_W | BPF_ABS)) {
          if (k % 4 !== 0) fail('unaligned-load', `load at offset ${k} is not 32-bit aligned`);
          if (k >= SECCOMP_DATA_SIZE) fail('load-out-of-range', `load at offset ${k} is outside the ${SECCOMP_DATA_SIZE}-byte seccomp_data`);
          accumulator = readSeccompDataWord(data, k) ?? 0;
        } else if (code === (BPF_LD | BPF_W | BPF_LEN)) accumulator = SECCOMP_DATA_SIZE;
        else if (code === (BPF_LD | BPF_IMM)) accumulator = k;
        else if (code === (BPF_LD | BPF_MEM)) accumulator = readMemory(k);
        else unsupported(code);
        break;
      case BPF_LDX:
        if (code === (BPF_LDX | BPF_W | BPF_LEN)) index = SECCOMP_DATA_SIZE;
        else if (code === (BPF_LDX | BPF_IMM)) index = k;
        else if (code === (BPF_LDX | BPF_MEM)) index = readMemory(k);
        else unsupported(code);
        break;
      case BPF_ST:
        if (code !== BPF_ST) unsupported(code);
        memory[memorySlot(k)] = accumulator;
        break;
      case BPF_STX:
        if (code !== BPF_STX) unsupported(code);
        memory[memorySlot(k)] = index;
        break;
      case BPF_ALU: {
        if (code === (BPF_ALU | BPF_NEG)) {
          accumulator = -accumulator >>> 0;
          break;
        }
        const op = operation(code);
        const byConstant = source(code) === BPF_K;
        const operand = byConstant ? k : index;
        if (op === BPF_DIV && operand === 0) {
          if (byConstant) fail('division-by-zero-constant', 'division by the constant 0');
          // The kernel's translation of classic BPF makes a division by X = 0 end the program with 0.
          return { action: 0, instructionsExecuted: executed, returnIndex: pc };
        }
        if (byConstant && (op === BPF_LSH || op === BPF_RSH) && k >= 32) fail('shift-too-large', `shift by ${k}`);
        // Codes above 0xff carry bits no classic opcode has.
        const result = code === (BPF_ALU | op | source(code)) ? alu(op, accumulator, operand) : undefined;
        accumulator = result ?? unsupported(code);
        break;
      }
      case BPF_JMP: {
        if (code === (BPF_JMP | BPF_JA)) {
          next = pc + 1 + k;
        } else {
          const byConstant = source(code) === BPF_K;
          const taken = code === (BPF_JMP | operation(code) | source(code))
            ? jumpTaken(operation(code), accumulator, byConstant ? k : index)
            : undefined;
          if (taken === undefined) unsupported(code);
          next = pc + 1 + (taken ? jt : jf);
        }
        if (next >= program.length) fail('jump-out-of-range', `jump to ${next} leaves the ${program.length}-instruction program`);
        break;
      }
      case BPF_RET:
        if (code === (BPF_RET | BPF_K)) return { action: k >>> 0, instructionsExecuted: executed, returnIndex: pc };
        if (code === (BPF_RET | BPF_A)) return { action: accumulator, instructionsExecuted: executed, returnIndex: pc };
        unsupported(code);
        break;
      case BPF_MISC:
        if (code === (BPF_MISC | BPF_TAX)) index = accumulator;
        else if (code === (BPF_MISC | BPF_TXA)) accumulator = index;
        else unsupported(code);
        break;
    }
    pc = next;
  }
}
