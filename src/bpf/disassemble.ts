/**
 * Readable listings of any classic BPF program: one line per instruction,
 * jump targets as absolute indices, seccomp_data fields by name, return
 * values by action name. Never throws on strange input: unknown opcodes
 * are shown raw, out-of-range targets are marked.
 */
import type { ArchTable } from '../arch/types.js';
import { auditArchName } from './audit-arch.js';
import {
  BPF_A,
  BPF_ABS,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JSET,
  BPF_LEN,
  BPF_MEM,
  BPF_W,
  SECCOMP_DATA_SIZE,
  type Instruction,
} from './instruction.js';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IND,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
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
  loadMode,
  loadSize,
  operation,
  source,
} from './opcodes.js';
import { describeReturnValue, errnoNamesFromArch } from './seccomp-action.js';

export interface DisassemblyOptions {
  /** Names syscall numbers in comparisons against `nr`, and errno values (from its constants). */
  readonly arch?: ArchTable;
  /** Overrides the errno names taken from `arch`. */
  readonly errnoNames?: ReadonlyMap<number, string>;
}

export interface DisassembledInstruction {
  readonly index: number;
  readonly instruction: Instruction;
  /** Mnemonic and operands, without index or comment. */
  readonly text: string;
  /** Absolute indices this instruction can continue at (fall-through included); empty after a RET. */
  readonly successors: readonly number[];
  /** What the operand means here (syscall name, arch name, errno name), when known. */
  readonly comment?: string;
}

/** The word at a seccomp_data offset, by field name (little-endian layout). */
export function seccompDataFieldName(offset: number): string | undefined {
  if (offset === 0) return 'nr';
  if (offset === 4) return 'arch';
  if (offset === 8) return 'instruction_pointer_lo';
  if (offset === 12) return 'instruction_pointer_hi';
  if (offset >= 16 && offset < SECCOMP_DATA_SIZE && offset % 4 === 0) {
    const argument = Math.floor((offset - 16) / 8);
    return `arg${argument}_${offset % 8 === 0 ? 'lo' : 'hi'}`;
  }
  return undefined;
}

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;

const ALU_NAMES: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, 'add'],
  [BPF_SUB, 'sub'],
  [BPF_MUL, 'mul'],
  [BPF_DIV, 'div'],
  [BPF_OR, 'or'],
  [BPF_AND, 'and'],
  [BPF_LSH, 'lsh'],
  [BPF_RSH, 'rsh'],
  [BPF_MOD, 'mod'],
  [BPF_XOR, 'xor'],
]);
const JUMP_NAMES: ReadonlyMap<number, string> = new Map([
  [BPF_JEQ, 'jeq'],
  [BPF_JGT, 'jgt'],
  [BPF_JGE, 'jge'],
  [BPF_JSET, 'jset'],
]);
const SIZE_SUFFIX: ReadonlyMap<number, string> = new Map([
  [BPF_W, ''],
  [BPF_H, 'h'],
  [BPF_B, 'b'],
]);

type Accumulator = 'nr' | 'arch' | 'other';

const unknownInstruction = (instruction: Instruction): string =>
  `.insn code=${hex(instruction.code)} jt=${instruction.jt} jf=${instruction.jf} k=${hex(instruction.k)}`;

interface Decoded {
  readonly text: string;
  readonly successors: readonly number[];
  /** What the accumulator holds afterwards, for instructions that write it. */
  readonly loads?: Accumulator;
  /** A conditional jump on the constant k (its operand can be named). */
  readonly comparesConstant?: boolean;
  readonly returnsConstant?: boolean;
}

function decodeOne(instruction: Instruction, index: number): Decoded {
  const { code, k } = instruction;
  const next = [index + 1];
  switch (instructionClass(code)) {
    case BPF_LD: {
      const suffix = SIZE_SUFFIX.get(loadSize(code));
      const mode = loadMode(code);
      if (suffix === undefined) break;
      if (mode === BPF_ABS) {
        const field = suffix === '' ? seccompDataFieldName(k) : undefined;
        const loads: Accumulator = field === 'nr' ? 'nr' : field === 'arch' ? 'arch' : 'other';
        return { text: `ld${suffix} ${field ?? `[${k}]`}`, successors: next, loads };
      }
      if (mode === BPF_IND) return { text: `ld${suffix} [x + ${k}]`, successors: next, loads: 'other' };
      if (suffix !== '') break;
      if (mode === BPF_IMM) return { text: `ld #${hex(k)}`, successors: next, loads: 'other' };
      if (mode === BPF_LEN) return { text: 'ld len', successors: next, loads: 'other' };
      if (mode === BPF_MEM) return { text: `ld M[${k}]`, successors: next, loads: 'other' };
      break;
    }
    case BPF_LDX: {
      const mode = loadMode(code);
      const size = loadSize(code);
      if (mode === BPF_MSH && size === BPF_B) return { text: `ldx 4*([${k}]&0xf)`, successors: next };
      if (size !== BPF_W) break;
      if (mode === BPF_IMM) return { text: `ldx #${hex(k)}`, successors: next };
      if (mode === BPF_LEN) return { text: 'ldx len', successors: next };
      if (mode === BPF_MEM) return { text: `ldx M[${k}]`, successors: next };
      break;
    }
    case BPF_ST:
      if (code !== BPF_ST) break;
      return { text: `st M[${k}]`, successors: next };
    case BPF_STX:
      if (code !== BPF_STX) break;
      return { text: `stx M[${k}]`, successors: next };
    case BPF_ALU: {
      if (operation(code) === BPF_NEG) {
        if (code !== (BPF_ALU | BPF_NEG)) break;
        return { text: 'neg', successors: next, loads: 'other' };
      }
      const name = ALU_NAMES.get(operation(code));
      if (name === undefined) break;
      const operand = source(code) === BPF_K ? `#${hex(k)}` : 'x';
      return { text: `${name} ${operand}`, successors: next, loads: 'other' };
    }
    case BPF_JMP: {
      if (operation(code) === BPF_JA) {
        if (code !== (BPF_JMP | BPF_JA)) break;
        // k is unsigned and may be huge: the target is computed without wrapping.
        const target = index + 1 + k;
        return { text: `ja ${target}`, successors: [target] };
      }
      const name = JUMP_NAMES.get(operation(code));
      if (name === undefined) break;
      const whenTrue = index + 1 + instruction.jt;
      const whenFalse = index + 1 + instruction.jf;
      const byConstant = source(code) === BPF_K;
      const operand = byConstant ? `#${hex(k)}` : 'x';
      return {
        text: `${name} ${operand} ? ${whenTrue} : ${whenFalse}`,
        successors: whenTrue === whenFalse ? [whenTrue] : [whenTrue, whenFalse],
        comparesConstant: byConstant,
      };
    }
    case BPF_RET:
      if (code === (BPF_RET | BPF_K)) return { text: 'ret', successors: [], returnsConstant: true };
      if (code === (BPF_RET | BPF_A)) return { text: 'ret a', successors: [] };
      break;
    case BPF_MISC:
      if (code === (BPF_MISC | BPF_TAX)) return { text: 'tax', successors: next };
      if (code === (BPF_MISC | BPF_TXA)) return { text: 'txa', successors: next, loads: 'other' };
      break;
  }
  return { text: unknownInstruction(instruction), successors: next, loads: 'other' };
}

/**
 * What the accumulator holds before each instruction, as far as a forward
 * pass can tell (classic BPF jumps only go forward, so one pass suffices).
 */
function accumulatorBefore(decoded: readonly Decoded[]): Accumulator[] {
  const before: (Accumulator | undefined)[] = new Array(decoded.length).fill(undefined);
  if (decoded.length > 0) before[0] = 'other';
  decoded.forEach((instruction, index) => {
    const current = before[index] ?? 'other';
    const after = instruction.loads ?? current;
    for (const successor of instruction.successors) {
      if (successor <= index || successor >= decoded.length) continue;
      const known = before[successor];
      before[successor] = known === undefined || known === after ? after : 'other';
    }
  });
  return before.map((value) => value ?? 'other');
}

function syscallNamesByNumber(arch: ArchTable): Map<number, string> {
  const names = new Map<number, string>();
  for (const [name, number] of arch.syscalls) {
    const known = names.get(number);
    names.set(number, known === undefined ? name : `${known}/${name}`);
  }
  return names;
}

/** One entry per instruction, with decoded text, successors and comment. */
export function disassembleInstructions(
  program: readonly Instruction[],
  options: DisassemblyOptions = {},
): DisassembledInstruction[] {
  const decoded = program.map(decodeOne);
  const accumulator = accumulatorBefore(decoded);
  const syscallNames = options.arch ? syscallNamesByNumber(options.arch) : undefined;
  const errnoNames = options.errnoNames ?? (options.arch ? errnoNamesFromArch(options.arch) : undefined);
  return program.map((instruction, index) => {
    const entry = decoded[index];
    let text = entry.text;
    let comment: string | undefined;
    if (entry.returnsConstant) {
      text = `ret ${describeReturnValue(instruction.k, (errno) => errnoNames?.get(errno))}`;
    } else if (entry.comparesConstant) {
      if (accumulator[index] === 'nr') comment = syscallNames?.get(instruction.k);
      else if (accumulator[index] === 'arch') comment = auditArchName(instruction.k);
    }
    const outOfRange = entry.successors.filter((target) => target >= program.length);
    if (outOfRange.length > 0) {
      const note = `target ${outOfRange.join(', ')} out of range`;
      comment = comment === undefined ? note : `${comment}; ${note}`;
    }
    return { index, instruction, text, successors: entry.successors, ...(comment === undefined ? {} : { comment }) };
  });
}

/** The listing as text, one line per instruction: `  12: jeq #0x2 ? 18 : 13  ; comment`. */
export function disassemble(program: readonly Instruction[], options: DisassemblyOptions = {}): string {
  const width = String(Math.max(0, program.length - 1)).length;
  return disassembleInstructions(program, options)
    .map(({ index, text, comment }) => {
      const line = `${String(index).padStart(Math.max(width, 4))}: ${text}`;
      return comment === undefined ? line : `${line.padEnd(40)} ; ${comment}`;
    })
    .join('\n');
}
