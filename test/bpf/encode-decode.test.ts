import { describe, expect, it } from 'vitest';
import { BpfDecodeError, decodeProgram } from '../../src/bpf/decode.js';
import { encodeProgram, InstructionEncodingError } from '../../src/bpf/encode.js';
import { instruction, loadAbsolute, OP_JEQ_K, ret, SECCOMP_RET_ALLOW } from '../../src/bpf/instruction.js';
import { expectedBpfFiles, haveCorpus, readExpected } from './corpus.js';

describe('encode / decode', () => {
  it('writes little-endian u16 code, u8 jt, u8 jf, u32 k', () => {
    const bytes = encodeProgram([instruction(OP_JEQ_K, 0xc000003e, 1, 2)]);
    expect(Array.from(bytes)).toEqual([0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]);
  });

  it('round-trips a program', () => {
    const program = [loadAbsolute(4), instruction(OP_JEQ_K, 7, 255, 0), ret(SECCOMP_RET_ALLOW), { code: 0xffff, jt: 9, jf: 8, k: 0xffffffff }];
    expect(decodeProgram(encodeProgram(program))).toEqual(program);
  });

  it('decodes from a view into a larger buffer', () => {
    const backing = new Uint8Array(24);
    backing.set(encodeProgram([ret(SECCOMP_RET_ALLOW)]), 8);
    expect(decodeProgram(backing.subarray(8, 16))).toEqual([ret(SECCOMP_RET_ALLOW)]);
  });

  it('refuses a byte length that is not a multiple of 8', () => {
    expect(() => decodeProgram(new Uint8Array(12))).toThrow(BpfDecodeError);
    expect(() => decodeProgram(new Uint8Array(12))).toThrow(/12 bytes \(4 left over after 1 records\)/);
    expect(decodeProgram(new Uint8Array(0))).toEqual([]);
  });

  it('refuses fields that do not fit', () => {
    expect(() => encodeProgram([{ code: 0x10000, jt: 0, jf: 0, k: 0 }])).toThrow(InstructionEncodingError);
    expect(() => encodeProgram([{ code: 6, jt: 256, jf: 0, k: 0 }])).toThrow(/jt = 256/);
    expect(() => encodeProgram([{ code: 6, jt: 0, jf: 0, k: -1 }])).toThrow(/k = -1/);
  });

  it.skipIf(!haveCorpus)('round-trips every corpus .bpf byte for byte (needs ../shared/corpus)', () => {
    const files = expectedBpfFiles();
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const bytes = readExpected(file);
      expect(Buffer.from(encodeProgram(decodeProgram(bytes))).equals(Buffer.from(bytes)), file).toBe(true);
    }
  });
});
