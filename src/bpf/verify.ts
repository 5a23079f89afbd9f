/**
 * The checks Linux applies before it accepts a seccomp filter:
 * bpf_check_basics_ok and bpf_check_classic (net/core/filter.c, including
 * check_load_and_stores), then seccomp_check_filter (kernel/seccomp.c).
 * The kernel stops at the first failure with EINVAL; here every problem is
 * listed with the instruction it is about.
 */
import { BPF_A, BPF_ABS, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_LEN, BPF_MAXINSNS, BPF_MEM, BPF_W, SECCOMP_DATA_SIZE, type Instruction } from './instruction.js';
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
  BPF_MOD,
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
  BPF_X,
  BPF_XOR,
  BPF_B,
  BPF_H,
  BPF_IND,
  BPF_MSH,
  instructionClass,
} from './opcodes.js';

export type VerificationRule =
  | 'length'
  | 'field-range'
  | 'opcode'
  | 'load-offset'
  | 'division-by-zero'
  | 'shift-count'
  | 'memory-slot'
  | 'jump-target'
  | 'last-instruction'
  | 'uninitialized-memory';

export interface VerificationProblem {
  /** The instruction concerned; null for a problem with the program as a whole. */
  readonly index: number | null;
  readonly rule: VerificationRule;
  readonly reason: string;
}

/** The kernel would refuse this program as a seccomp filter. */
export class InvalidProgramError extends Error {
  constructor(readonly problems: readonly VerificationProblem[]) {
    super(
      `the kernel would refuse this seccomp filter:\n` +
        problems.map((problem) => `  ${problem.index === null ? 'program' : `instruction ${problem.index}`}: ${problem.reason}`).join('\n'),
    );
    this.name = 'InvalidProgramError';
  }
}

const ALU_OPERATIONS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH];
const CONDITIONAL_JUMPS = [BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET];

/**
 * The opcodes seccomp_check_filter lets through. It is stricter than the
 * socket-filter table of bpf_check_classic: no BPF_MOD, no half-word or byte
 * loads, no indirect loads, no MSH.
 */
const SECCOMP_OPCODES: ReadonlySet<number> = new Set([
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  ...ALU_OPERATIONS.flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM,
  BPF_LDX | BPF_IMM,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_JMP | BPF_JA,
  ...CONDITIONAL_JUMPS.flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/** Opcodes that socket filters may use but seccomp refuses; named so the reason can say so. */
const SOCKET_ONLY_OPCODES: ReadonlySet<number> = new Set([
  BPF_ALU | BPF_MOD | BPF_K,
  BPF_ALU | BPF_MOD | BPF_X,
  BPF_LD | BPF_H | BPF_ABS,
  BPF_LD | BPF_B | BPF_ABS,
  BPF_LD | BPF_W | BPF_IND,
  BPF_LD | BPF_H | BPF_IND,
  BPF_LD | BPF_B | BPF_IND,
  BPF_LDX | BPF_B | BPF_MSH,
]);

const MEMORY_OPCODES: ReadonlySet<number> = new Set([BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX]);
const isConditionalJump = (code: number): boolean =>
  instructionClass(code) === BPF_JMP && code !== (BPF_JMP | BPF_JA) && SECCOMP_OPCODES.has(code);

const fitsBits = (value: number, bits: number): boolean => Number.isInteger(value) && value >= 0 && value < 2 ** bits;

function checkInstruction(instruction: Instruction, index: number, length: number): VerificationProblem | undefined {
  const problem = (rule: VerificationRule, reason: string): VerificationProblem => ({ index, rule, reason });
  const { code, jt, jf, k } = instruction;
  if (!fitsBits(code, 16) || !fitsBits(jt, 8) || !fitsBits(jf, 8) || !fitsBits(k, 32)) {
    return problem('field-range', `fields out of range for sock_filter (code ${code}, jt ${jt}, jf ${jf}, k ${k})`);
  }
  if (!SECCOMP_OPCODES.has(code)) {
    const why = SOCKET_ONLY_OPCODES.has(code) ? 'allowed in socket filters but not in seccomp filters' : 'not a classic BPF opcode the kernel accepts';
    return problem('opcode', `opcode 0x${code.toString(16).padStart(2, '0')} is ${why}`);
  }
  if (code === (BPF_LD | BPF_W | BPF_ABS) && (k >= SECCOMP_DATA_SIZE || k % 4 !== 0)) {
    return problem('load-offset', `load at offset ${k}: seccomp loads must be 32-bit aligned and inside the ${SECCOMP_DATA_SIZE}-byte seccomp_data`);
  }
  if (code === (BPF_ALU | BPF_DIV | BPF_K) && k === 0) return problem('division-by-zero', 'division by the constant 0');
  if ((code === (BPF_ALU | BPF_LSH | BPF_K) || code === (BPF_ALU | BPF_RSH | BPF_K)) && k >= 32) {
    return problem('shift-count', `shift by ${k}; constant shift counts must be below 32`);
  }
  if (MEMORY_OPCODES.has(code) && k >= BPF_MEMWORDS) {
    return problem('memory-slot', `scratch memory slot ${k} does not exist (M[0..${BPF_MEMWORDS - 1}])`);
  }
  // The kernel compares in unsigned arithmetic: a jump must land on an existing instruction.
  if (code === (BPF_JMP | BPF_JA) && k >= length - index - 1) {
    return problem('jump-target', `ja to ${index + 1 + k} leaves the ${length}-instruction program`);
  }
  if (isConditionalJump(code) && (index + jt + 1 >= length || index + jf + 1 >= length)) {
    return problem('jump-target', `conditional jump to ${index + 1 + jt} / ${index + 1 + jf} leaves the ${length}-instruction program`);
  }
  return undefined;
}

/**
 * check_load_and_stores: a scratch word may only be read when every path to
 * the read stores it first. Runs only on programs whose jumps are in range.
 */
function checkMemoryInitialised(program: readonly Instruction[]): VerificationProblem[] {
  const ALL = 0xffff;
  const validAt: number[] = new Array(program.length).fill(ALL);
  const problems: VerificationProblem[] = [];
  let valid = 0;
  program.forEach(({ code, jt, jf, k }, index) => {
    valid &= validAt[index];
    if (code === BPF_ST || code === BPF_STX) valid |= 1 << k;
    else if (code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) {
      if ((valid & (1 << k)) === 0) {
        problems.push({ index, rule: 'uninitialized-memory', reason: `M[${k}] is read where some path has not stored it` });
      }
    } else if (code === (BPF_JMP | BPF_JA)) {
      validAt[index + 1 + k] &= valid;
      valid = ALL;
    } else if (isConditionalJump(code)) {
      validAt[index + 1 + jt] &= valid;
      validAt[index + 1 + jf] &= valid;
      valid = ALL;
    }
  });
  return problems;
}

/** Every reason the kernel would refuse `program` as a seccomp filter; empty when it would accept it. */
export function findProgramProblems(program: readonly Instruction[]): VerificationProblem[] {
  const problems: VerificationProblem[] = [];
  if (program.length === 0) return [{ index: null, rule: 'length', reason: 'the program is empty' }];
  if (program.length > BPF_MAXINSNS) {
    problems.push({ index: null, rule: 'length', reason: `${program.length} instructions, more than the kernel's limit of ${BPF_MAXINSNS}` });
  }
  program.forEach((instruction, index) => {
    const problem = checkInstruction(instruction, index, program.length);
    if (problem) problems.push(problem);
  });
  const last = program[program.length - 1];
  if (last.code !== (BPF_RET | BPF_K) && last.code !== (BPF_RET | BPF_A)) {
    problems.push({ index: program.length - 1, rule: 'last-instruction', reason: 'the last instruction must be a RET' });
  }
  const structurallySound = !problems.some((problem) => ['field-range', 'jump-target', 'memory-slot', 'opcode'].includes(problem.rule));
  if (structurallySound) problems.push(...checkMemoryInitialised(program));
  return problems;
}

/** Throws InvalidProgramError listing every problem when the kernel would refuse `program`. */
export function verifyProgram(program: readonly Instruction[]): void {
  const problems = findProgramProblems(program);
  if (problems.length > 0) throw new InvalidProgramError(problems);
}
