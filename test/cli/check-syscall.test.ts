/** The pieces under `jail-run check`: argument parsing and the simulator/evaluator cross-check. */
import { describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import { OP_RET_K, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO } from '../../src/bpf/index.js';
import { checkSyscall, formatCheckReport, InternalMismatchError } from '../../src/check/check-syscall.js';
import { UsageError } from '../../src/cli/report-failure.js';
import { parseArguments, selectSyscall } from '../../src/cli/syscall-arguments.js';
import { compilePolicyText } from '../../src/compile.js';

const x86 = getShippedArch('x86_64');
const arm = getShippedArch('arm');

describe('check arguments', () => {
  it('reads decimal, hex, octal, binary, negative numbers and |-joined constants', () => {
    expect(parseArguments('3, 0x10,0o17 ,0b101,-1, O_RDWR|O_CLOEXEC', x86)).toEqual([
      3n,
      16n,
      15n,
      5n,
      0xffffffffffffffffn,
      x86.constants.get('O_RDWR')! | x86.constants.get('O_CLOEXEC')!,
    ]);
    expect(parseArguments('-1', arm)).toEqual([0xffffffffn]);
    expect(parseArguments(undefined, x86)).toEqual([]);
  });

  it('refuses what it cannot read, with a hint for a near miss', () => {
    expect(() => parseArguments('0x1ffffffff', arm)).toThrow(/does not fit in 32 bits/);
    expect(() => parseArguments('PROT_REDA', x86)).toThrow(/did you mean "PROT_READ"/);
    expect(() => parseArguments('1||2', x86)).toThrow(UsageError);
    expect(() => parseArguments('1,2,3,4,5,6,7', x86)).toThrow(/at most 6/);
  });

  it('takes a syscall by name or number, named when the table knows the number', () => {
    expect(selectSyscall('openat', x86)).toEqual({ name: 'openat', number: 257 });
    expect(selectSyscall('0x101', x86)).toEqual({ name: 'openat', number: 257 });
    expect(selectSyscall('4000', x86)).toEqual({ name: undefined, number: 4000 });
    expect(() => selectSyscall('opneat', x86)).toThrow(/did you mean "openat"/);
    expect(() => selectSyscall('0x100000000', x86)).toThrow(UsageError);
  });
});

describe('checkSyscall', () => {
  const policy = 'read: 1\nwrite: arg0 == 1\n@default trap\n';
  const compiled = compilePolicyText(policy, 'inline.policy', { arch: x86 });

  it('reports the action, the deciding location and the kernel cache', () => {
    const report = checkSyscall(compiled, selectSyscall('write', x86), [1n], { defaultFromCommandLine: false });
    expect(report.action.text).toBe('allow');
    expect(report.kernelCached).toBe(false);
    expect(report.decidedBy.location).toMatchObject({ file: 'inline.policy', line: 2 });
    expect(formatCheckReport(report).split('\n')[0]).toBe('write(0x1): allow');
    expect(checkSyscall(compiled, selectSyscall('read', x86), [], { defaultFromCommandLine: false }).kernelCached).toBe(true);
  });

  it('is an internal error when the compiled filter and the policy disagree', () => {
    // Make every allow of the program an errno: the simulator now contradicts the policy.
    const tampered = {
      ...compiled,
      program: compiled.program.map((instruction) =>
        instruction.code === OP_RET_K && instruction.k === SECCOMP_RET_ALLOW ? { ...instruction, k: SECCOMP_RET_ERRNO | 1 } : instruction,
      ),
    };
    expect(() => checkSyscall(tampered, selectSyscall('read', x86), [], { defaultFromCommandLine: false })).toThrow(InternalMismatchError);
    expect(() => checkSyscall(tampered, selectSyscall('read', x86), [], { defaultFromCommandLine: false })).toThrow(
      /internal error: for syscall read the compiled filter returns errno EPERM \(1\) but the policy says allow/,
    );
  });
});
