import { describe, expect, it } from 'vitest';
import { CHeaderNameError, renderCHeader } from '../../src/bpf/c-header.js';
import { instruction, loadAbsolute, OP_JEQ_K, ret, SECCOMP_RET_ALLOW } from '../../src/bpf/instruction.js';
import { checkProgramLength, ProgramTooLongError } from '../../src/bpf/program-length.js';

describe('C header (--output-header-file)', () => {
  it('holds the encoded bytes in decimal and a count of 8-byte instructions', () => {
    const header = renderCHeader([loadAbsolute(4), instruction(OP_JEQ_K, 0xc000003e, 1, 0), ret(SECCOMP_RET_ALLOW)], 'net_device');
    const lines = header.split('\n');
    expect(lines[0]).toBe('/* DO NOT EDIT GENERATED FILE */');
    expect(lines[1]).toBe('#ifndef MJ_SECCOMP_NET_DEVICE_H');
    expect(lines[2]).toBe('#define MJ_SECCOMP_NET_DEVICE_H');
    expect(lines[3]).toBe('#include <stdint.h>');
    expect(lines[5]).toBe('static const unsigned char net_device_binary_seccomp_policy[] __attribute__((__aligned__(4))) = {');
    expect(lines[6]).toBe('    32, 0, 0, 0, 4, 0, 0, 0, 21, 0, 1, 0, 62, 0, 0, 192, 6, 0, 0, 0, 0, 0, 255, 127');
    expect(header).toContain('} net_device_seccomp_bpf_program = {\n    .cnt = sizeof(net_device_binary_seccomp_policy) / 8,\n    .bpf = net_device_binary_seccomp_policy,\n};');
    expect(header.endsWith('\n#endif\n')).toBe(true);
  });

  it('refuses names that are not C identifiers', () => {
    for (const name of ['out/net', '9p_device', 'a-b', '']) expect(() => renderCHeader([], name)).toThrow(CHeaderNameError);
  });
});

describe('program length', () => {
  it('accepts 4096 instructions and refuses 4097 with both figures in the message', () => {
    expect(() => checkProgramLength(new Array(4096).fill(ret(0)))).not.toThrow();
    expect(() => checkProgramLength(new Array(4097).fill(ret(0)))).toThrow(ProgramTooLongError);
    expect(() => checkProgramLength(new Array(4097).fill(ret(0)))).toThrow(/4097 instructions, more than the kernel's limit of 4096/);
  });
});
