import { describe, expect, it } from 'vitest';
import { decodeProgram } from '../../src/bpf/decode.js';
import { disassemble, disassembleInstructions, seccompDataFieldName } from '../../src/bpf/disassemble.js';
import { instruction, loadAbsolute, OP_JA, OP_JEQ_K, OP_JGE_K, ret, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP } from '../../src/bpf/instruction.js';
import { archOfExpected, corpusArch, expectedBpfFiles, haveCorpus, readExpected, readExpectedText } from './corpus.js';

describe('disassemble', () => {
  const program = [
    loadAbsolute(4),
    instruction(OP_JEQ_K, 0xc000003e, 1, 0),
    ret(SECCOMP_RET_KILL_THREAD),
    loadAbsolute(0),
    instruction(OP_JGE_K, 3, 0, 1),
    instruction(OP_JA, 1),
    ret(SECCOMP_RET_ERRNO | 1),
    ret(SECCOMP_RET_ALLOW),
  ];

  it('shows fields, absolute targets and actions', () => {
    const lines = disassemble(program).split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^ {3}0: ld arch$/);
    expect(lines[1]).toMatch(/1: jeq #0xc000003e \? 3 : 2 +; AUDIT_ARCH_X86_64$/);
    expect(lines[2]).toMatch(/2: ret KILL_THREAD$/);
    expect(lines[4]).toMatch(/4: jge #0x3 \? 5 : 6$/);
    expect(lines[5]).toMatch(/5: ja 7$/);
    expect(lines[6]).toMatch(/6: ret ERRNO\(1\)$/);
  });

  it('names syscalls compared against nr and errno values with an arch table', () => {
    const arch = {
      name: 'test', minijailName: 'test', auditArch: 0xc000003e, bits: 64 as const,
      syscalls: new Map([['close', 3], ['read', 0]]),
      constants: new Map([['ECHO', 8n], ['EPERM', 1n], ['ENOEXEC', 8n]]),
      syscallGroups: new Map(),
    };
    const text = disassemble([...program.slice(0, 6), ret(SECCOMP_RET_ERRNO | 8), ret(SECCOMP_RET_ERRNO | 1)], { arch });
    expect(text).toMatch(/jge #0x3 \? 5 : 6 +; close/);
    expect(text).toMatch(/ret ERRNO\(8 ENOEXEC\)/);
    expect(text).toMatch(/ret ERRNO\(1 EPERM\)/);
  });

  it('does not name a comparison when the accumulator may hold different words', () => {
    const mixed = [loadAbsolute(0), instruction(OP_JEQ_K, 0, 0, 1), loadAbsolute(16), instruction(OP_JEQ_K, 3, 0, 0), ret(SECCOMP_RET_TRAP)];
    const arch = { name: 't', minijailName: 't', auditArch: 1, bits: 64 as const, syscalls: new Map([['close', 3]]), constants: new Map(), syscallGroups: new Map() };
    expect(disassembleInstructions(mixed, { arch })[3].comment).toBeUndefined();
  });

  it('never throws, whatever the bytes', () => {
    const every: { code: number; jt: number; jf: number; k: number }[] = [];
    for (let code = 0; code < 0x100; code++) every.push({ code, jt: 3, jf: 250, k: code * 0x01010101 });
    every.push({ code: 0xffff, jt: 0, jf: 0, k: 0xffffffff });
    const lines = disassembleInstructions(every);
    expect(lines).toHaveLength(every.length);
    expect(lines.find((line) => line.instruction.code === 0x07)?.text).toBe('tax');
    expect(lines.find((line) => line.instruction.code === 0x87)?.text).toBe('txa');
    expect(lines.find((line) => line.instruction.code === 0x94)?.text).toMatch(/^mod #/);
    expect(lines.find((line) => line.instruction.code === 0x02)?.text).toMatch(/^st M\[/);
    expect(lines[lines.length - 1].text).toMatch(/^\.insn code=0xffff/);
    expect(lines.find((line) => line.instruction.code === 0x05)?.comment).toMatch(/out of range/);
  });

  it('names every seccomp_data word', () => {
    expect([0, 4, 8, 12, 16, 20, 56, 60].map(seccompDataFieldName)).toEqual([
      'nr', 'arch', 'instruction_pointer_lo', 'instruction_pointer_hi', 'arg0_lo', 'arg0_hi', 'arg5_lo', 'arg5_hi',
    ]);
    expect(seccompDataFieldName(64)).toBeUndefined();
    expect(seccompDataFieldName(2)).toBeUndefined();
  });

  it.skipIf(!haveCorpus)('finds the same jump targets as the reference listings of every corpus program (needs ../shared/corpus)', () => {
    for (const file of expectedBpfFiles()) {
      const program = decodeProgram(readExpected(file));
      const ours = disassembleInstructions(program, { arch: corpusArch(archOfExpected(file)) });
      const reference = readExpectedText(file.replace(/\.bpf$/, '.txt'))
        .split('\n')
        .filter((line) => /^\s*\d+:/.test(line));
      expect(reference, file).toHaveLength(program.length);
      reference.forEach((line, index) => {
        const targets = [...line.matchAll(/-> (\d+)/g)].map((match) => Number(match[1]));
        if (targets.length > 0) expect(new Set(ours[index].successors), `${file}:${index}`).toEqual(new Set(targets));
        else expect(ours[index].text.startsWith('ret') || ours[index].text.startsWith('ld'), `${file}:${index}`).toBe(true);
      });
    }
  });
});
