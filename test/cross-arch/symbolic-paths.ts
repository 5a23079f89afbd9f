/**
 * Finds, for one syscall number, argument values that lead a seccomp program
 * to each RET it can reach: the program is run with nr and arch known and the
 * argument words unknown, both ways at every test of an unknown word, and a
 * small per-word solver turns each path's tests into values.
 *
 * This is what lets the cross-arch harness derive its cases from the filter
 * itself (any layout, any compiler) instead of from the policy it came from.
 * The simulator stays the judge: every input found here is run through
 * simulate(), and the harness expects the simulator's action, not the path's.
 */
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_X,
  SECCOMP_DATA_SIZE,
  type Instruction,
} from '../../src/bpf/index.js';
import { BPF_ADD, BPF_AND, BPF_DIV, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_TAX, BPF_TXA, BPF_XOR } from '../../src/bpf/opcodes.js';

/** A 32-bit ALU step applied to a loaded word (constant operand). */
interface AluStep {
  readonly op: number;
  readonly operand: number;
}

type SymbolicValue =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'word'; readonly offset: number; readonly steps: readonly AluStep[] };

/** One taken or not-taken jump on a value derived from an unknown word. */
interface WordTest {
  readonly offset: number;
  readonly steps: readonly AluStep[];
  readonly jump: number;
  readonly k: number;
  readonly taken: boolean;
}

export interface PathInput {
  /** The six arguments as 64-bit values. */
  readonly args: readonly bigint[];
  /** Index of the RET the path ends at. */
  readonly returnIndex: number;
}

export interface PathSearchOptions {
  readonly nr: number;
  readonly auditArch: number;
  /** On a 32-bit arch the high words of the arguments are 0, not unknown. */
  readonly bits: 32 | 64;
  /** Paths followed at most (a guard; filters are shallow). */
  readonly pathBudget?: number;
}

export interface PathSearchResult {
  /** One input per RET reached, in program order of the RETs. */
  readonly inputs: readonly PathInput[];
  /** True when the budget ran out before every path was followed. */
  readonly budgetExhausted: boolean;
}

/** The program does something the search does not model (it is then not a seccomp filter we emit). */
export class UnsupportedProgramError extends Error {
  constructor(index: number, detail: string) {
    super(`instruction ${index}: ${detail}`);
    this.name = 'UnsupportedProgramError';
  }
}

const u32 = (value: number): number => value >>> 0;

function applyStep(value: number, step: AluStep): number {
  const { op, operand } = step;
  switch (op) {
    case BPF_ADD:
      return u32(value + operand);
    case BPF_SUB:
      return u32(value - operand);
    case BPF_MUL:
      return u32(Math.imul(value, operand));
    case BPF_DIV:
      return operand === 0 ? 0 : u32(Math.floor(value / operand));
    case BPF_OR:
      return u32(value | operand);
    case BPF_AND:
      return u32(value & operand);
    case BPF_LSH:
      return u32(value << (operand & 31));
    case BPF_RSH:
      return value >>> (operand & 31);
    case BPF_NEG:
      return u32(-value);
    case BPF_XOR:
      return u32(value ^ operand);
    default:
      throw new Error(`ALU operation 0x${op.toString(16)}`);
  }
}

function jumpTaken(jump: number, value: number, k: number): boolean {
  switch (jump) {
    case BPF_JEQ:
      return value === k;
    case BPF_JGT:
      return value > k;
    case BPF_JGE:
      return value >= k;
    case BPF_JSET:
      return (value & k) !== 0;
    default:
      throw new Error(`jump 0x${jump.toString(16)}`);
  }
}

const holds = (test: WordTest, word: number): boolean =>
  jumpTaken(test.jump, test.steps.reduce(applyStep, word), test.k) === test.taken;

/** A small deterministic generator, so the cases are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>>= 0);
  };
}

/**
 * A 32-bit value passing every test, or undefined when none was found (the
 * path is then treated as infeasible). Candidates come from the constants in
 * the tests (the values that sit on the boundaries), then from bit-by-bit
 * construction for mask tests, then from seeded random values.
 */
export function solveWord(tests: readonly WordTest[]): number | undefined {
  if (tests.length === 0) return 0;
  const passes = (word: number): boolean => tests.every((test) => holds(test, word));
  const candidates = new Set<number>([0, 0xffffffff, 1, 0x80000000, 0x7fffffff]);
  let requiredOnes = 0;
  let requiredZeros = 0;
  for (const test of tests) {
    const k = test.k;
    for (const value of [k, k + 1, k - 1, ~k, k & -k, ~k & (k - 1)]) candidates.add(u32(value));
    const mask = test.steps.length === 1 && test.steps[0].op === BPF_AND ? test.steps[0].operand : test.steps.length === 0 ? 0xffffffff : undefined;
    if (mask === undefined) continue;
    if (test.jump === BPF_JEQ && test.taken) {
      requiredOnes |= k & mask;
      requiredZeros |= ~k & mask;
    } else if (test.jump === BPF_JSET && !test.taken) {
      requiredZeros |= k & mask;
    }
  }
  requiredOnes = u32(requiredOnes);
  requiredZeros = u32(requiredZeros);
  const built = u32(requiredOnes & ~requiredZeros);
  candidates.add(built);
  // Mask tests that need one bit of k set: the lowest bit not forced to 0.
  let withSetBits = built;
  for (const test of tests) {
    if (test.jump === BPF_JSET && test.taken) {
      const free = u32(test.k & ~requiredZeros);
      if (free !== 0) withSetBits = u32(withSetBits | (free & -free));
    }
  }
  candidates.add(withSetBits);
  candidates.add(u32(withSetBits | ~(requiredOnes | requiredZeros)));
  for (const candidate of candidates) if (passes(candidate)) return candidate;
  const random = seededRandom(tests.reduce((seed, test) => Math.imul(seed ^ test.k, 0x9e3779b1) ^ test.jump, 0x12345));
  for (let attempt = 0; attempt < 512; attempt++) {
    const noise = random();
    const candidate = attempt % 2 === 0 ? noise : u32((withSetBits & ~requiredZeros) | (noise & ~(requiredOnes | requiredZeros)));
    if (passes(candidate)) return candidate;
  }
  return undefined;
}

interface MachineState {
  readonly pc: number;
  readonly accumulator: SymbolicValue;
  readonly index: SymbolicValue;
  readonly memory: readonly (SymbolicValue | undefined)[];
  readonly tests: readonly WordTest[];
}

const constant = (value: number): SymbolicValue => ({ kind: 'constant', value: u32(value) });

/** Follows every path of the program for one syscall number; see the file comment. */
export function findPathInputs(program: readonly Instruction[], options: PathSearchOptions): PathSearchResult {
  const budget = options.pathBudget ?? 20_000;
  const found = new Map<number, bigint[]>();
  let steps = 0;
  let budgetExhausted = false;

  const load = (pc: number, offset: number): SymbolicValue => {
    if (offset % 4 !== 0 || offset < 0 || offset >= SECCOMP_DATA_SIZE) throw new UnsupportedProgramError(pc, `load at offset ${offset}`);
    if (offset === 0) return constant(options.nr);
    if (offset === 4) return constant(options.auditArch);
    // The probe's instruction pointer is not known here, so a filter that reads it cannot be predicted.
    if (offset === 8 || offset === 12) throw new UnsupportedProgramError(pc, 'the filter reads instruction_pointer');
    const isHighWord = (offset - 16) % 8 === 4;
    if (isHighWord && options.bits === 32) return constant(0);
    return { kind: 'word', offset, steps: [] };
  };

  const wordsFor = (tests: readonly WordTest[]): Map<number, number> | undefined => {
    const byOffset = new Map<number, WordTest[]>();
    for (const test of tests) {
      const list = byOffset.get(test.offset) ?? [];
      list.push(test);
      byOffset.set(test.offset, list);
    }
    const words = new Map<number, number>();
    for (const [offset, list] of byOffset) {
      const word = solveWord(list);
      if (word === undefined) return undefined;
      words.set(offset, word);
    }
    return words;
  };

  const argumentsFrom = (words: Map<number, number>): bigint[] =>
    Array.from({ length: 6 }, (_, argument) => {
      const low = BigInt(words.get(16 + 8 * argument) ?? 0);
      const high = BigInt(words.get(20 + 8 * argument) ?? 0);
      return (high << 32n) | low;
    });

  const explore = (initial: MachineState): void => {
    const stack: MachineState[] = [initial];
    while (stack.length > 0) {
      if (steps++ >= budget) {
        budgetExhausted = true;
        return;
      }
      let state = stack.pop() as MachineState;
      // Straight-line execution until a RET or a test of an unknown word.
      for (;;) {
        const { pc } = state;
        if (pc >= program.length) throw new UnsupportedProgramError(pc, 'execution runs past the end');
        const { code, jt, jf, k } = program[pc];
        const next = { ...state, pc: pc + 1 };
        const instructionClass = code & 0x07;
        if (instructionClass === BPF_RET) {
          const value = (code & 0x18) === BPF_A ? state.accumulator : constant(k);
          if (value.kind !== 'constant') throw new UnsupportedProgramError(pc, 'RET A of an argument-derived value');
          if (!found.has(pc)) {
            const words = wordsFor(state.tests);
            if (words) found.set(pc, argumentsFrom(words));
          }
          break;
        }
        if (instructionClass === BPF_LD || instructionClass === BPF_LDX) {
          const mode = code & 0xe0;
          let value: SymbolicValue;
          if (mode === BPF_ABS) value = load(pc, k);
          else if (mode === BPF_IMM) value = constant(k);
          else if (mode === BPF_LEN) value = constant(SECCOMP_DATA_SIZE);
          else if (mode === BPF_MEM) {
            const stored = state.memory[k];
            if (!stored) throw new UnsupportedProgramError(pc, `M[${k}] read before it is written`);
            value = stored;
          } else throw new UnsupportedProgramError(pc, `load mode 0x${mode.toString(16)}`);
          state = instructionClass === BPF_LD ? { ...next, accumulator: value } : { ...next, index: value };
          continue;
        }
        if (instructionClass === BPF_ST || instructionClass === BPF_STX) {
          const memory = [...state.memory];
          memory[k] = instructionClass === BPF_ST ? state.accumulator : state.index;
          state = { ...next, memory };
          continue;
        }
        if (instructionClass === BPF_MISC) {
          if ((code & 0xf8) !== BPF_TXA && (code & 0xf8) !== BPF_TAX) throw new UnsupportedProgramError(pc, `misc 0x${code.toString(16)}`);
          state = (code & 0xf8) === BPF_TXA ? { ...next, accumulator: state.index } : { ...next, index: state.accumulator };
          continue;
        }
        if (instructionClass === BPF_ALU) {
          const op = code & 0xf0;
          let operand = k;
          if ((code & 0x08) === BPF_X && op !== BPF_NEG) {
            if (state.index.kind !== 'constant') throw new UnsupportedProgramError(pc, 'ALU with an argument-derived X');
            operand = state.index.value;
          }
          const step = { op, operand: u32(operand) };
          const accumulator: SymbolicValue =
            state.accumulator.kind === 'constant'
              ? constant(applyStep(state.accumulator.value, step))
              : { ...state.accumulator, steps: [...state.accumulator.steps, step] };
          state = { ...next, accumulator };
          continue;
        }
        if (instructionClass === BPF_JMP) {
          const jump = code & 0xf0;
          if (jump === BPF_JA) {
            state = { ...state, pc: pc + 1 + k };
            continue;
          }
          let operand = k;
          if ((code & 0x08) === BPF_X) {
            if (state.index.kind !== 'constant') throw new UnsupportedProgramError(pc, 'jump against an argument-derived X');
            operand = state.index.value;
          } else if ((code & 0x08) !== BPF_K) throw new UnsupportedProgramError(pc, `jump 0x${code.toString(16)}`);
          const accumulator = state.accumulator;
          if (accumulator.kind === 'constant') {
            state = { ...state, pc: pc + 1 + (jumpTaken(jump, accumulator.value, operand) ? jt : jf) };
            continue;
          }
          // Both ways, when the word can go that way given the path so far.
          for (const taken of [false, true]) {
            const test: WordTest = { offset: accumulator.offset, steps: accumulator.steps, jump, k: u32(operand), taken };
            const sameWord = state.tests.filter((earlier) => earlier.offset === test.offset);
            if (solveWord([...sameWord, test]) === undefined) continue;
            stack.push({ ...state, pc: pc + 1 + (taken ? jt : jf), tests: [...state.tests, test] });
          }
          break;
        }
        throw new UnsupportedProgramError(pc, `opcode 0x${code.toString(16)}`);
      }
    }
  };

  explore({ pc: 0, accumulator: constant(0), index: constant(0), memory: [], tests: [] });
  const inputs = [...found.entries()].sort(([a], [b]) => a - b).map(([returnIndex, args]) => ({ returnIndex, args }));
  return { inputs, budgetExhausted };
}
