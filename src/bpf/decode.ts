import { INSTRUCTION_SIZE } from './encode.js';
import type { Instruction } from './instruction.js';

/** Bytes that are not a whole number of `sock_filter` records. */
export class BpfDecodeError extends Error {
  constructor(readonly byteLength: number) {
    super(
      `a BPF program is a sequence of ${INSTRUCTION_SIZE}-byte records, but the input has ${byteLength} bytes ` +
        `(${byteLength % INSTRUCTION_SIZE} left over after ${Math.floor(byteLength / INSTRUCTION_SIZE)} records)`,
    );
    this.name = 'BpfDecodeError';
  }
}

/** Inverse of encodeProgram: 8-byte little-endian records to instructions. Any opcode is accepted. */
export function decodeProgram(bytes: Uint8Array): Instruction[] {
  if (bytes.length % INSTRUCTION_SIZE !== 0) throw new BpfDecodeError(bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const program: Instruction[] = [];
  for (let offset = 0; offset < bytes.length; offset += INSTRUCTION_SIZE) {
    program.push({
      code: view.getUint16(offset, true),
      jt: view.getUint8(offset + 2),
      jf: view.getUint8(offset + 3),
      k: view.getUint32(offset + 4, true),
    });
  }
  return program;
}
