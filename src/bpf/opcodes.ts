/**
 * The whole classic BPF opcode space (linux/bpf_common.h, linux/filter.h),
 * for the tools that must read any program, including ones with opcodes our
 * compilers never emit. instruction.ts names the subset code generation uses.
 */
import { BPF_ALU, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_MISC, BPF_RET, BPF_ST, BPF_STX, BPF_X } from './instruction.js';

export const instructionClass = (code: number): number => code & 0x07;
export const loadSize = (code: number): number => code & 0x18;
export const loadMode = (code: number): number => code & 0xe0;
export const operation = (code: number): number => code & 0xf0;
export const source = (code: number): number => code & 0x08;
/** RET's operand: BPF_K (the constant) or BPF_A (the accumulator). */
export const returnSource = (code: number): number => code & 0x18;
/** MISC's operation: TAX or TXA. */
export const miscOperation = (code: number): number => code & 0xf8;

// Load sizes and modes not named in instruction.ts.
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_IND = 0x40;
export const BPF_MSH = 0xa0;

// ALU operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

// MISC operations.
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Scratch memory words (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

/** Start of the ancillary-data offsets of socket filters (SKF_AD_OFF = -0x1000). */
export const SKF_AD_OFF = 0xfffff000;

export { BPF_ALU, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_MISC, BPF_RET, BPF_ST, BPF_STX, BPF_X };
