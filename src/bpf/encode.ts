import type { Instruction } from './instruction.js';

/** Size of one `struct sock_filter` record: u16 code, u8 jt, u8 jf, u32 k. */
export const INSTRUCTION_SIZE = 8;

/** An instruction whose fields do not fit the `sock_filter` record. */
export class InstructionEncodingError extends Error {
  constructor(
    readonly index: number,
    readonly field: 'code' | 'jt' | 'jf' | 'k',
    readonly value: number,
  ) {
    super(`instruction ${index}: ${field} = ${value} does not fit its ${field === 'code' ? '16' : field === 'k' ? '32' : '8'}-bit field`);
    this.name = 'InstructionEncodingError';
  }
}

const fits = (value: number, bits: number): boolean => Number.isInteger(value) && value >= 0 && value < 2 ** bits;

/**
 * The program as the kernel and Minijail's `.bpf` files hold it: 8-byte
 * little-endian records. Little-endian is fixed rather than the host's order
 * because every arch we target is little-endian and the output must not
 * depend on where it was compiled.
 */
export function encodeProgram(program: readonly Instruction[]): Uint8Array {
  const bytes = new Uint8Array(program.length * INSTRUCTION_SIZE);
  const view = new DataView(bytes.buffer);
  program.forEach((instruction, index) => {
    if (!fits(instruction.code, 16)) throw new InstructionEncodingError(index, 'code', instruction.code);
    if (!fits(instruction.jt, 8)) throw new InstructionEncodingError(index, 'jt', instruction.jt);
    if (!fits(instruction.jf, 8)) throw new InstructionEncodingError(index, 'jf', instruction.jf);
    if (!fits(instruction.k, 32)) throw new InstructionEncodingError(index, 'k', instruction.k);
    const offset = index * INSTRUCTION_SIZE;
    view.setUint16(offset, instruction.code, true);
    view.setUint8(offset + 2, instruction.jt);
    view.setUint8(offset + 3, instruction.jf);
    view.setUint32(offset + 4, instruction.k, true);
  });
  return bytes;
}
